# Logging helpers of the base image, release 2.3.
log_info() { echo "[info] $*"; }
log_error() { echo "[error] $*" >&2; }
