#!/bin/sh
# Reads the configuration that was baked into the image at build time, and
# keeps the only thing it writes (a record of its runs) in the /state volume.
set -e
. /app/app.conf
echo "release $version says: $greeting"
echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') release $version" >> /state/runs
echo "runs recorded in /state so far: $(wc -l < /state/runs)"
