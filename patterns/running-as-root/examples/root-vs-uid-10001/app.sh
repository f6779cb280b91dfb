#!/bin/sh
# A stand-in for a long-running service. It needs no privileges at all: it
# only reports who it runs as and then waits for work (and for SIGTERM).

trap 'echo "app: got SIGTERM, exiting"; exit 0' TERM

echo "app: running as uid $(id -u), gid $(id -g)"
while true; do
  sleep 1 &
  wait $!
done
