# Logging helpers of the base image, release 3.0.
# Breaking change: log_info and log_error were replaced by one function.
log() { level="$1"; shift; echo "[$level] $*"; }
