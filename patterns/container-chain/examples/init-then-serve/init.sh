#!/bin/sh
# The init container: one job, then exit. It renders the site into /data from
# a template and the SITE_TITLE setting, and marks the result as complete.
set -e
if [ -z "$SITE_TITLE" ]; then
  echo "init: SITE_TITLE is not set, nothing prepared" >&2
  exit 3
fi
sed "s|@SITE_TITLE@|$SITE_TITLE|g" /init/index.html > /data/.index.html.tmp
mv /data/.index.html.tmp /data/index.html
# The marker is written last: its presence means "everything above is done".
echo "prepared-by=init at=$(date -u '+%Y-%m-%dT%H:%M:%SZ')" > /data/.ready
echo "init: prepared /data/index.html for \"$SITE_TITLE\""
