#!/bin/sh
# One small web service; SITE names it, PORT is where it listens (8080 by
# default, like so many images).
PORT="${PORT:-8080}"
echo "<h1>$SITE</h1>" > /www/index.html
echo "$SITE: starting httpd on port $PORT"
exec httpd -f -p "$PORT" -h /www
