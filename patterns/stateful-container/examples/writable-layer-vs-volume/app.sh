#!/bin/sh
# A stand-in for an application that keeps data on disk: every time it runs
# it counts the run and appends a line to its history, both under /app/data.
set -e

DATA="${DATA_DIR:-/app/data}"
count=$(cat "$DATA/count" 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" > "$DATA/count.tmp"
mv "$DATA/count.tmp" "$DATA/count"
echo "run $count in container $(hostname)" >> "$DATA/history.log"

echo "this is run number $count"
echo "history kept in $DATA:"
cat "$DATA/history.log"
