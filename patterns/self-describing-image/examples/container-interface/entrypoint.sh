#!/bin/sh
# One entrypoint, several standard commands: run (the default), test and help.
set -e

PORT="${PORT:-8080}"
GREETING="${GREETING:-Hello from a self-describing image}"
DATA_DIR="${DATA_DIR:-/data}"

usage() {
  cat <<HELP
greeter 1.0.0: a tiny web service that says hello.

Usage: docker run [options] greeter [COMMAND]

Commands:
  run    serve HTTP on \$PORT (the default command)
  test   check that the image is complete, then exit 0 or 1
  help   print this text

Environment:
  PORT      port to listen on (default 8080)
  GREETING  text of the page (default "Hello from a self-describing image")
  DATA_DIR  where start times are recorded (default /data, a volume)

Ports:    8080/tcp  HTTP; GET /health answers "ok"
Volumes:  /data     survives container replacement
Health:   the image's HEALTHCHECK fetches /health every second
HELP
}

case "${1:-run}" in
  run)
    mkdir -p /tmp/www
    echo "$GREETING" > /tmp/www/index.html
    echo ok > /tmp/www/health
    date -u '+started %Y-%m-%dT%H:%M:%SZ' >> "$DATA_DIR/starts.log"
    echo "greeter: serving on port $PORT"
    exec busybox httpd -f -p "$PORT" -h /tmp/www
    ;;
  test)
    status=0
    for tool in httpd wget; do
      if busybox --list | grep -qx "$tool"; then echo "test: $tool available"; else echo "test: $tool MISSING"; status=1; fi
    done
    if [ -w "$DATA_DIR" ]; then echo "test: $DATA_DIR writable"; else echo "test: $DATA_DIR NOT writable"; status=1; fi
    [ "$status" = 0 ] && echo "self-test passed" || echo "self-test FAILED"
    exit "$status"
    ;;
  help|--help|-h)
    usage
    ;;
  *)
    echo "unknown command: $1" >&2
    usage >&2
    exit 64
    ;;
esac
