#!/bin/sh
# A queue worker that handles three jobs, then loses its (pretend) database
# connection and exits with code 3, as a real worker might.
echo "worker: started (PID $$)"
for job in 1 2 3; do
  echo "worker: job $job done"
  sleep 0.3
done
echo "worker: fatal: lost the database connection, exiting with code 3"
exit 3
