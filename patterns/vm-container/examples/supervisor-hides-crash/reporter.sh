#!/bin/sh
# A "cron job" that writes a heartbeat line every few seconds.
while true; do
  echo "reporter: heartbeat"
  sleep 5
done
