#!/bin/sh
# A stand-in for a long-running service that shuts down cleanly on SIGTERM.

on_term() {
  echo "got SIGTERM, cleaning up and exiting"
  exit 0
}
trap on_term TERM

echo "app.sh started (PID $$)"

# Sleep in the background and wait for it: `wait` returns as soon as a
# trapped signal arrives, so the handler runs at once, not after the sleep.
while true; do
  sleep 1 &
  wait $!
done
