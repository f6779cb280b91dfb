#!/bin/sh
# A stand-in for an application: it reports its own release, the release of
# the configuration it found in /app/config, and the setting it will use.
# MAX_UPLOAD_MB in the environment overrides the file.
set -e

program_release="$APP_RELEASE"
. /app/config/app.conf

echo "program release: $program_release"
echo "config release: $config_release"
if [ -n "$MAX_UPLOAD_MB" ]; then
  echo "max upload: $MAX_UPLOAD_MB MB (from the environment)"
else
  echo "max upload: $max_upload_mb MB (from /app/config/app.conf)"
fi
if [ "$config_release" != "$program_release" ]; then
  echo "WARNING: release $program_release is running with the configuration of release $config_release"
fi
