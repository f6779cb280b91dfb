#!/bin/sh
# Runs the web server and passes docker stop's SIGTERM on to it, so the
# container stops at once instead of waiting to be killed.
busybox httpd -f -p 8080 -h /www &
server=$!
trap 'kill "$server"; wait "$server"; exit 0' TERM
echo "start.sh: serving /cgi-bin/status on port 8080"
wait "$server"
