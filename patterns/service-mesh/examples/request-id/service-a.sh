#!/bin/sh
# Service A stands idle here; the example execs its calls to service B, which
# always go to the local proxy: http://127.0.0.1:15000/b/...
trap 'exit 0' TERM
echo "service-a: up, calls B via http://127.0.0.1:15000/b/"
while true; do
  sleep 1 &
  wait $!
done
