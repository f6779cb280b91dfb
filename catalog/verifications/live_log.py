"""The live log's JSON fields: the text a page has not shown yet, or a fresh tail when it must start over."""

from django.http import HttpRequest

from catalog.verifications.models import LOG_LIMIT

LOG_TAIL = 64 * 1024  # what a live log sends at most when it starts over


def log_since(request: HttpRequest, log: str, attempt: int) -> dict:
    """`reset`, `offset` and `text` for live-log.js, from the `offset` and `attempt` it last had."""
    offset = _int(request.GET.get("offset"))
    asked_attempt = request.GET.get("attempt", "")
    # Start over when the client's text is not a prefix of ours: a new attempt cleared the
    # log, or the log reached its cap and now loses its oldest text as it grows.
    reset = offset > len(log) or (asked_attempt and asked_attempt != str(attempt)) or len(log) >= LOG_LIMIT
    start = max(0, len(log) - LOG_TAIL) if reset or offset == 0 else offset
    return {"reset": bool(reset or (offset == 0 and start > 0)), "offset": len(log), "text": log[start:]}


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
