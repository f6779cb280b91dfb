#!/bin/sh
# A "legacy" worker with its own idea of status reporting: every second it
# looks at the job files in /data/inbox and rewrites /data/status.txt in a
# home-grown text format. It knows nothing about Prometheus.
trap 'echo "worker: stopping"; exit 0' TERM
echo "worker: watching /data/inbox, status in /data/status.txt"
while true; do
  total=0
  failed=0
  for job in /data/inbox/*.job; do
    [ -e "$job" ] || continue
    total=$((total + 1))
    if grep -q FAIL "$job"; then failed=$((failed + 1)); fi
  done
  {
    echo "== legacy worker status =="
    echo "state: running"
    echo "jobs processed: $total"
    echo "jobs failed: $failed"
    echo "updated: $(date -u '+%Y-%m-%d %H:%M:%S')"
  } > /data/.status.tmp
  mv /data/.status.tmp /data/status.txt
  sleep 1 &
  wait $!
done
