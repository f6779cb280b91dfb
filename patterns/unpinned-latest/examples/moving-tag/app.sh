#!/bin/sh
# Your application, written and tested against base image 2.3.
. /usr/lib/base/log.sh
echo "base image $(cat /usr/lib/base/VERSION)"
log_info "report service started"
