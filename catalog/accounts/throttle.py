"""Failed log-ins counted per account name and per client address: past the allowance, log-in waits.

Both keys count, so guessing one account's password from many addresses and many accounts' passwords
from one address are each slowed. The counts live in the cache (Redis or the file cache) for
LOGIN_WINDOW_SECONDS after the newest failure; a successful log-in clears its name's count.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from catalog.verifications.views import client_address


def _keys(request: HttpRequest, username: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]  # no raw names in the cache
    return [f"login-failures:name:{name}", f"login-failures:address:{client_address(request)}"]


def seconds_to_wait(request: HttpRequest, username: str) -> int:
    """0 when a log-in may be tried now, else how long until the oldest counted failure expires."""
    now = time.time()
    window = settings.LOGIN_WINDOW_SECONDS
    waits = []
    for key in _keys(request, username):
        failures = [moment for moment in cache.get(key, []) if moment > now - window]
        if len(failures) >= settings.LOGIN_FAILURES_ALLOWED:
            waits.append(int(failures[-settings.LOGIN_FAILURES_ALLOWED] + window - now) + 1)
    return max(waits, default=0)


def count_failure(request: HttpRequest, username: str) -> None:
    now = time.time()
    window = settings.LOGIN_WINDOW_SECONDS
    for key in _keys(request, username):
        failures = [moment for moment in cache.get(key, []) if moment > now - window]
        cache.set(key, [*failures, now][-100:], window)


def clear_name(request: HttpRequest, username: str) -> None:
    cache.delete(_keys(request, username)[0])
