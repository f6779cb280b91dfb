#!/bin/sh
# banner: print its arguments inside a frame.
#   banner [-b CHAR] WORD...
# A stand-in for a command-line tool such as figlet: the image exists to run
# this one program, and what it prints is up to whoever runs the container.

usage() {
  echo "usage: banner [-b CHAR] WORD..."
  echo "  -b CHAR  draw the frame with CHAR instead of '*'"
}

border='*'
while getopts b:h opt; do
  case $opt in
    b) border=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

if [ "${#border}" -ne 1 ]; then
  echo "banner: the frame must be one character, not '$border'" >&2
  exit 2
fi
if [ $# -eq 0 ]; then
  echo "banner: nothing to print" >&2
  usage >&2
  exit 2
fi

text="$*"
line=""
i=0
while [ "$i" -lt $(( ${#text} + 4 )) ]; do
  line="$line$border"
  i=$((i + 1))
done
printf '%s\n%s %s %s\n%s\n' "$line" "$border" "$text" "$border" "$line"
