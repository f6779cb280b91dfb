#!/bin/sh
# One small web service; SITE names it, PORT is where it listens (8080 by
# default, like so many images).
PORT="${PORT:-8080}"
echo "<h1>$SITE</h1>" > /www/index.html
# Lumped together: every unit also brings up the department's other web
# service, on port 9090 in the same namespaces, whichever SITE it is.
case "$SITE" in shop) other=blog ;; *) other=shop ;; esac
mkdir -p /www/other && echo "<h1>$other</h1>" > /www/other/index.html
httpd -p 9090 -h /www/other
echo "$SITE: starting httpd on port $PORT"
exec httpd -f -p "$PORT" -h /www
