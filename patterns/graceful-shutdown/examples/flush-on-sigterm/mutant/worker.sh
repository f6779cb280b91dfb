#!/bin/sh
# A stand-in for a worker that keeps its progress in memory and saves it on the
# way out. On SIGTERM it finishes the job in progress, writes its state to the
# volume at /data and exits 0. Set HANDLE_SIGTERM=no to start it without the
# handler and see what a stop does to unsaved work.

STATE="${STATE_DIR:-/data}/state.txt"
job=0
done_jobs=0
stopping=""

on_term() {
  echo "worker: SIGTERM received, finishing job $job before exiting"
  stopping=1
}

if [ "${HANDLE_SIGTERM:-yes}" = yes ]; then
  echo "worker: started as PID $$, SIGTERM handler installed"
else
  echo "worker: started as PID $$, no SIGTERM handler"
fi

while [ -z "$stopping" ]; do
  job=$((job + 1))
  # The job runs in the background so that `wait` can return the moment a
  # signal arrives; the second `wait` lets the interrupted job complete.
  sleep 0.4 &
  wait $! || wait $!
  done_jobs=$job
  echo "worker: job $job done"
done

# Flush: write to a temporary file, then rename it, so that a reader never
# sees half a state file.
{
  echo "jobs_done=$done_jobs"
  echo "saved_at=$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
  echo "clean shutdown"
} > "$STATE.tmp"
mv "$STATE.tmp" "$STATE"
echo "worker: state saved to $STATE, exiting with 0"
exit 0
