#!/bin/sh
# The sidecar: every two seconds it writes a fresh page into the shared
# directory. The web server in the main container serves whatever it finds.

SITE_DIR="${SITE_DIR:-/www}"

trap 'echo "sidecar: got SIGTERM, stopping"; exit 0' TERM

echo "sidecar: writing $SITE_DIR/index.html every 2 seconds"
while true; do
  # Write to a temporary file first, then rename it over the old page:
  # the rename is atomic, so the server never serves half a page.
  {
    echo "<!doctype html>"
    echo "<title>Sidecar</title>"
    echo "<h1>Written by the sidecar</h1>"
    echo "<p>Last refresh: $(date -u '+%Y-%m-%d %H:%M:%S') UTC</p>"
  } > "$SITE_DIR/.index.html.tmp"
  mv "$SITE_DIR/.index.html.tmp" "$SITE_DIR/index.html"
  sleep 2 &
  wait $!
done
