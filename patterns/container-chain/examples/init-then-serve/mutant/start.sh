#!/bin/sh
# Mutant: the main container serves /data at once, prepared or not; nothing
# ties its start to the init container's marker.
echo "main: found $(cat /data/.ready), serving /data on :8080"
exec httpd -f -p 8080 -h /data
