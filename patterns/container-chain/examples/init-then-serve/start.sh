#!/bin/sh
# The main container: it only starts serving once the init container has
# finished its work; without the marker it refuses instead of serving nothing.
if [ ! -f /data/.ready ]; then
  echo "main: /data was not prepared by the init container, refusing to start" >&2
  exit 1
fi
echo "main: found $(cat /data/.ready), serving /data on :8080"
exec httpd -f -p 8080 -h /data
