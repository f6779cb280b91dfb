#!/bin/sh
# The store takes a moment before it accepts requests, as a database does
# while it opens its files. Anything that starts before it must wait.
echo "store: loading data"
sleep 2
echo "store: ready on port 8080"
exec httpd -f -p 8080 -h /data
