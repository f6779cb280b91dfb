#!/bin/sh
# Standard entrypoints: the same image runs the application or its tests.
#   docker run IMAGE run TEXT...   the application (the default)
#   docker run IMAGE test          the unit tests; exit code 0 only if all pass
#   docker run IMAGE help          this text
case "${1:-run}" in
  run)
    shift
    exec python3 /app/slugger.py "$@"
    ;;
  test)
    report="${TEST_REPORT:-/tmp/test-report.txt}"
    cd /app && python3 -m unittest discover -v -s tests >"$report" 2>&1
    status=$?
    cat "$report"
    exit $status
    ;;
  *)
    sed -n '2,5s/^# \{0,1\}//p' "$0"
    ;;
esac
