#!/bin/sh
# One entrypoint, the standard commands: run (the default), run-dev, test, health, debug and help.
set -e

PORT="${PORT:-8080}"
GREETING="${GREETING:-Hello from a self-describing image}"
DATA_DIR="${DATA_DIR:-/data}"
VERSION="${GREETER_VERSION:-unknown}"

usage() {
  cat <<HELP
greeter $VERSION: a tiny web service that says hello.

Usage: docker run [options] greeter [COMMAND]

Commands:
  run      serve HTTP on \$PORT (the default command)
  run-dev  serve as run does, logging every request
  test     check that the image is complete, then exit 0 or 1
  health   exit 0 if the running service answers (the HEALTHCHECK uses it)
  debug    open a shell in the container (docker run -it greeter debug)
  help     print this text

Environment:
  PORT      port to listen on (default 8080)
  GREETING  text of the page (default "Hello from a self-describing image")
  DATA_DIR  where start times are recorded (default /data, a volume)

Ports:    8080/tcp  HTTP; GET /health answers "ok"
Volumes:  /data     survives container replacement
Health:   the image's HEALTHCHECK runs "health" every second
Labels:   docker inspect -f '{{json .Config.Labels}}' greeter
HELP
}

serve() {
  mkdir -p /tmp/www
  echo "$GREETING" > /tmp/www/index.html
  echo ok > /tmp/www/health
  date -u '+started %Y-%m-%dT%H:%M:%SZ' >> "$DATA_DIR/starts.log"
  echo "greeter $VERSION: serving on port $PORT"
  exec busybox httpd -f "$@" -p "$PORT" -h /tmp/www
}

command="${1:-run}"
[ "$#" -gt 0 ] && shift
case "$command" in
  run)
    serve
    ;;
  run-dev)
    echo "greeter $VERSION: development mode, every request is logged"
    serve -vv
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
  health)
    exec wget -q -O /dev/null "http://127.0.0.1:$PORT/health"
    ;;
  debug)
    exec sh "$@"
    ;;
  help|--help|-h)
    usage
    ;;
  *)
    echo "unknown command: $command" >&2
    usage >&2
    exit 64
    ;;
esac
