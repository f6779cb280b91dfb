#!/bin/sh
# Mutant: the sidecar container still runs beside the web server, but its job
# is gone. It writes nothing into the shared directory.

trap 'echo "sidecar: got SIGTERM, stopping"; exit 0' TERM

echo "sidecar: running, with nothing to do"
while true; do
  sleep 2 &
  wait $!
done
