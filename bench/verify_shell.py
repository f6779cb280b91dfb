"""Bash for the loop scripts: the functions they share, quoting, and a step's expectations as a test."""

from __future__ import annotations

import shlex

SHELL_FUNCTIONS = r"""set -u
# The worker's POST /build runs the classic builder; without this the CLI asks for BuildKit.
export DOCKER_BUILDKIT=0
mark() { echo "@@ $EPOCHREALTIME $*"; }
fail() { mark error "$*"; exit 1; }
# retry MICROSECONDS CHECK: as retry_until, CHECK again every RETRY_INTERVAL until it holds.
retry() {
  local until=$(( ${EPOCHREALTIME/./} + $1 )); shift
  while ! "$@"; do
    (( ${EPOCHREALTIME/./} + RETRY_US >= until )) && { mark retry-timeout "$@"; return 1; }
    sleep "$RETRY_SECONDS"
  done
}
# health_wait CONTAINER WANTED MICROSECONDS: as health_step, polled every 0.25 s.
health_wait() {
  local until=$(( ${EPOCHREALTIME/./} + $3 )) state
  while :; do
    state=$(docker inspect -f '{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1")
    case "$state" in "true $2" | "true " | false*) return ;; esac
    { [ -z "$2" ] || (( ${EPOCHREALTIME/./} >= until )); } && return
    sleep 0.25
  done
}
# fill VOLUME DIRECTORY: as put_files, through a created, never started helper container.
fill() {
  local helper
  helper=$(docker create $LABELS --network none -v "$1":/volume "$HELPER" "$NEVER") || fail "fill $1"
  docker cp "$2"/. "$helper":/volume >/dev/null || fail "fill $1"
  docker rm -f -v "$helper" >/dev/null
}
# As RunContext.cleanup: this run's containers (with anonymous volumes), networks, volumes.
cleanup() {
  mark cleanup
  docker ps -aq --filter "label=$RUN" | xargs -r docker rm -f -v >/dev/null
  docker network ls -q --filter "label=$RUN" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=$RUN" | xargs -r docker volume rm -f >/dev/null
  mark done
}
trap cleanup EXIT
"""


def q(*words: object) -> str:
    return " ".join(shlex.quote(str(word)) for word in words)


def argv(value: str | list[str] | None) -> list[str]:
    """A command as the worker splits it (step_arguments.words)."""
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else list(value)


def conditions(expect: dict) -> str:
    """A step's expectations on $out and $rc: when a retry may stop. The loop judges nothing else."""
    tests = []
    for key, value in expect.items():
        texts = [value] if isinstance(value, str) else value
        if key in ("output_contains", "body_contains"):
            tests += [f'grep -qF -- {q(text)} <<<"$out"' for text in texts]
        elif key in ("output_not_contains", "body_not_contains"):
            tests += [f'! grep -qF -- {q(text)} <<<"$out"' for text in texts]
        elif key in ("output_matches", "body_matches"):
            tests.append(f'grep -qP -- {q(value)} <<<"$out"')  # per line, as the worker's re.MULTILINE
        elif key == "status":
            tests.append(f'grep -qE -- {q(f"HTTP/[0-9.]+ +{value}")} <<<"$out"')
        elif key == "exit_code":
            tests.append(f'[ "$rc" = {value} ]')
    return " && ".join(tests) or "true"
