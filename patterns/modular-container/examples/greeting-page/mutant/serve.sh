#!/bin/sh
# Mutant: the start script of a conventional image. It renders the page into
# the image's own filesystem, next to its code, and then replaces itself with
# httpd, which as PID 1 has no SIGTERM handler and ignores docker stop.
set -e
echo "rendering /app/site/index.html, then starting httpd on port ${PORT:-8080}"
PAGE_GREETING=$(printf '%s' "${GREETING:-Hello}" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
export PAGE_GREETING
awk '{ i = index($0, "@GREETING@"); if (i) $0 = substr($0, 1, i - 1) ENVIRON["PAGE_GREETING"] substr($0, i + 10); print }' \
  /app/site/index.html.in > /app/site/index.html
exec busybox httpd -f -v -p "${PORT:-8080}" -h /app/site
