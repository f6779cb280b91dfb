#!/bin/sh
# Says, for every result on the volume, whether it is whole and who wrote it.
cd /data/results || exit 1
for file in .job-*.part job-*.txt; do
  [ -e "$file" ] || continue
  case "$file" in
    .*) echo "$file: left over from an interrupted job"; continue ;;
  esac
  number=$(echo "$file" | tr -dc 0-9)
  steps=$(grep -c " step " "$file")
  writers=$(sed -n 's/.* by //p' "$file" | sort -u | tr '\n' ' ')
  if [ "$(tail -n 1 "$file")" = "job $number complete" ]; then
    state=whole
  else
    state=HALF-WRITTEN
  fi
  echo "$file: $state, $steps of 5 steps, written by ${writers% }"
done
