#!/bin/sh
# Mutant: everything the helper is supposed to find next door, it makes
# itself: its own note in /dev/shm and its own server on localhost.
trap 'exit 0' TERM
echo "note from the main container (pid namespace owner)" > /dev/shm/pod-note
httpd -p 127.0.0.1:8080 -h /www || echo "helper: port 8080 already taken"
echo "helper: up"
while true; do
  sleep 1 &
  wait $!
done
