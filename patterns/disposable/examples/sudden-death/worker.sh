#!/bin/sh
# A disposable worker: it may be killed at any instant, and any copy can take
# over. It keeps nothing inside the container, needs no setup but a look at
# the results on the volume, and writes each result so that it appears whole
# or not at all: a job cut off in the middle is simply done again.

NAME="${WORKER_NAME:-$(hostname)}"
RESULTS=/data/results
LAST_JOB="${LAST_JOB:-0}"  # 0: work until stopped
mkdir -p "$RESULTS"
# Nothing to save on the way out, so a stop can be honoured at once.
trap 'exit 143' TERM INT

# Minimal setup. A job that a dead worker left half done is thrown away and redone.
for part in "$RESULTS"/.job-*.part; do
  [ -e "$part" ] || continue
  number="${part##*/.job-}"
  echo "$NAME: job ${number%.part} was interrupted by an earlier worker, doing it again"
  rm -f "$part"
done
job=1
while [ -e "$RESULTS/job-$job.txt" ]; do
  job=$((job + 1))
done
echo "$NAME: ready, next job is $job"

while [ "$LAST_JOB" = 0 ] || [ "$job" -le "$LAST_JOB" ]; do
  # The result is written under a temporary name first ...
  part="$RESULTS/.job-$job.part"
  echo "job $job by $NAME" > "$part"
  echo "$NAME: job $job started"
  for step in 1 2 3 4 5; do
    sleep 0.4 &
    wait $!
    echo "job $job step $step of 5 by $NAME" >> "$part"
  done
  echo "job $job complete" >> "$part"
  # ... and renamed when it is whole: a rename happens entirely or not at all.
  mv "$part" "$RESULTS/job-$job.txt"
  echo "$NAME: job $job done"
  job=$((job + 1))
done
echo "$NAME: nothing left to do"
