#!/bin/sh
# PID 1 of the greeting-page container.
#
# It renders the page from the template in the image into /tmp (the only place
# it writes), runs busybox httpd in the foreground as its child, and on SIGTERM
# or SIGINT stops httpd and exits 0. If httpd ends on its own, the container
# ends with httpd's exit status, so the failure shows.

site=/tmp/site
port="${PORT:-8080}"

mkdir -p "$site" || exit 1
# The greeting is HTML-escaped and handed to awk through the environment, so
# no character in it can break the substitution.
PAGE_GREETING=$(printf '%s' "${GREETING:-Hello}" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
export PAGE_GREETING
awk '{ i = index($0, "@GREETING@"); if (i) $0 = substr($0, 1, i - 1) ENVIRON["PAGE_GREETING"] substr($0, i + 10); print }' \
  /app/site/index.html.in > "$site/index.html" || exit 1

# -f: stay in the foreground as our child; -v: log each request to stderr.
httpd -f -v -p "$port" -h "$site" &
server=$!

stop() {
  echo "$1 received, stopping httpd"
  kill -TERM "$server" 2>/dev/null
  wait "$server" 2>/dev/null  # quiet: the shell would report the killed job as "Terminated"
  echo "httpd stopped, exiting cleanly"
  exit 0
}
trap 'stop SIGTERM' TERM
trap 'stop SIGINT' INT

echo "serving $site/index.html on port $port as uid $(id -u): $GREETING"
wait "$server"
status=$?
echo "httpd ended on its own with status $status" >&2
exit "$status"
