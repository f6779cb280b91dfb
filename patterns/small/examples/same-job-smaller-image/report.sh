#!/bin/sh
# The job: summarise a data file. It needs a shell, awk and sha256sum, nothing more.
set -e
file=/app/data.txt
echo "report on $(basename "$file")"
echo "days: $(wc -l < "$file")"
awk -F'[ =]' '{ orders += $3; returns += $5 } END { print "orders: " orders ", returns: " returns }' "$file"
echo "sha256: $(sha256sum "$file" | cut -d' ' -f1)"
