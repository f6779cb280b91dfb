#!/bin/sh
# Mutant: the entrypoint knows how to run the service and nothing else;
# there is no help, no self-test, no debug shell and no development mode.
set -e

PORT="${PORT:-8080}"
GREETING="${GREETING:-Hello from a self-describing image}"
DATA_DIR="${DATA_DIR:-/data}"
VERSION="${GREETER_VERSION:-unknown}"

command="${1:-run}"
case "$command" in
  run)
    mkdir -p /tmp/www
    echo "$GREETING" > /tmp/www/index.html
    echo ok > /tmp/www/health
    date -u '+started %Y-%m-%dT%H:%M:%SZ' >> "$DATA_DIR/starts.log"
    echo "greeter $VERSION: serving on port $PORT"
    exec busybox httpd -f -p "$PORT" -h /tmp/www
    ;;
  *)
    echo "unknown command: $command" >&2
    exit 64
    ;;
esac
