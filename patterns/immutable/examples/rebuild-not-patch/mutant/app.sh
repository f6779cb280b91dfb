#!/bin/sh
# Copies the configuration of its release into the /state volume on the first
# start and reads it from there ever after, so it can be changed in place
# without building a new image. It still records its runs in /state.
set -e
[ -e /state/app.conf ] || cp /app/app.conf /state/app.conf
. /state/app.conf
echo "release $version says: $greeting"
echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') release $version" >> /state/runs
echo "runs recorded in /state so far: $(wc -l < /state/runs)"
