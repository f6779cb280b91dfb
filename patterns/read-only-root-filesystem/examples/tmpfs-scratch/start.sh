#!/bin/sh
# Start-up renders the page into /tmp, the one place meant for scratch files,
# then replaces itself with the web server. Nothing else is written anywhere.
set -e

mkdir -p /tmp/www
{
  echo "<!doctype html>"
  echo "<title>Read-Only Root Filesystem</title>"
  echo "<h1>Served from a read-only root filesystem</h1>"
  echo "<p>This page was rendered at start-up into /tmp, a tmpfs.</p>"
} > /tmp/www/index.html
echo "start.sh: page rendered into /tmp/www, starting httpd"

exec busybox httpd -f -p 8080 -h /tmp/www
