#!/bin/sh
# The release. Nothing in it knows which environment it runs in: that comes
# from the environment variables the deployment sets.

if [ -z "$APP_ENV" ] || [ -z "$DATABASE_URL" ]; then
  echo "config error: APP_ENV and DATABASE_URL must be set by the deployment" >&2
  exit 78
fi
LOG_LEVEL="${LOG_LEVEL:-info}"

echo "shop $(cat /app/VERSION) starting in $APP_ENV"
echo "database: $DATABASE_URL"
echo "log level: $LOG_LEVEL"
if [ "$LOG_LEVEL" = debug ]; then
  echo "debug: request tracing enabled"
fi
echo "ready"
