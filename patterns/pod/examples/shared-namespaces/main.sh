#!/bin/sh
# The main container of the pod: it leaves a note in shared memory and in the
# shared volume, then becomes a web server that listens on localhost only.
set -e
echo "note from the main container (pid namespace owner)" > /dev/shm/pod-note
echo "written by main at $(date -u '+%H:%M:%S')" > /shared/from-main.txt
echo "main: wrote /dev/shm/pod-note and /shared/from-main.txt, starting httpd"
exec httpd -f -p 127.0.0.1:8080 -h /www
