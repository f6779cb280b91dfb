"""The rules of the two position endpoints: how fast they may be called, and what a position is.

A presenter's deck posts each move (slides.js sends at most one request at a time and only the
newest position, so a held-down key costs a few requests a second); an attendee's follow page
polls once a second. The limits stop a runaway script, not a room: attendees behind one address
(a venue's NAT) share the follow limit, which is sized for a large room.
"""

import logging
import time

from django.core.cache import cache
from django.http import HttpRequest

from catalog.verifications.views import client_address
from catalog.workshops.presentations import MAX_SLIDE

log = logging.getLogger(__name__)

WINDOW = 10  # seconds of each fixed counting window
MOVES_PER_WINDOW = 100  # per presentation: ten moves a second
POLLS_PER_WINDOW = 1000  # per client address: a hundred attendees polling once a second behind one NAT


def over_limit(key: str, limit: int, window: int = WINDOW) -> int:
    """Count one call under `key`; 0 when allowed, else the seconds until the window ends.

    A fixed window counted with the cache's atomic increment (Redis INCR in production): one round
    trip per call, and no list of timestamps to read and write back.
    """
    now = time.time()
    slot = int(now // window)
    name = f"rate:{key}:{slot}"
    try:
        cache.add(name, 0, window * 2)
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, window * 2)
            count = 1
    except Exception:  # each backend has its own errors (redis ConnectionError, OSError...)
        # The shared cache is away (a Redis restart): a room keeps its slides, unlimited for a while.
        log.warning("rate limit %s not counted: the cache is unavailable", key, exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, int((slot + 1) * window - now) + 1)


def move_limit(token: str) -> int:
    return over_limit(f"present-moves:{token}", MOVES_PER_WINDOW)


def poll_limit(request: HttpRequest) -> int:
    return over_limit(f"follow-polls:{client_address(request)}", POLLS_PER_WINDOW)


def parse_slide(value: str | None) -> int | None:
    """A slide number from a form field, counted from 1; None for anything else."""
    if value is None or not value.isdigit() or len(value) > 6:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_SLIDE else None
