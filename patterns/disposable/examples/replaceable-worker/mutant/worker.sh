#!/bin/sh
# A disposable worker: it starts in a moment, keeps everything that must
# survive in /data (a volume, not the container), and on SIGTERM finishes
# the job in hand and leaves. Any copy can replace any other at any time.

NAME="${WORKER_NAME:-$(hostname)}"
LEDGER=/tmp/ledger  # mutant: the ledger lives in the container, not in the volume
stopping=""
trap 'stopping=yes' TERM INT

# Minimal setup: find out where the last worker stopped, nothing more.
last=$(tail -n 1 "$LEDGER" 2>/dev/null | cut -d' ' -f2)
if [ -n "$last" ]; then
  echo "$NAME: ready, resuming after job $last"
else
  echo "$NAME: ready, no earlier jobs found"
  last=0
fi

job=$last
while [ -z "$stopping" ]; do
  job=$((job + 1))
  # The job's scratch work stays in /tmp and may be lost with the container.
  echo "working on job $job" > /tmp/current
  sleep 0.3 &
  wait $!
  if [ -n "$stopping" ]; then
    # Interrupted mid-job: do not record it, the next worker does it again.
    job=$((job - 1))
    break
  fi
  # Record the finished job where the next worker will find it.
  echo "job $job done by $NAME" >> "$LEDGER"
  echo "$NAME: job $job done"
  if [ "${ONE_JOB:-}" = yes ]; then
    break
  fi
done
echo "$NAME: stopping after job $job, the next worker resumes from the ledger"
