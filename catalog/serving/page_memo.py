"""Each process's own copy of the cached pages it served: one generation, within a byte budget."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http import HTTPStatus

CACHE_HEADER = "X-Page-Cache"  # "hit" or "miss"; every other header is the same on both
# Headers and bookkeeping of one page, counted on top of its body against the budget.
PAGE_OVERHEAD = 1024


@dataclass(frozen=True, slots=True)
class Page:
    """A cached answer, ready to send: status line and header lists are built once, not per hit."""

    expires: float  # time.time() after which it is no longer served
    status: int
    headers: tuple[tuple[str, str], ...]  # as Django sent them, Content-Length included
    body: bytes
    status_line: str
    hit_headers: tuple[tuple[str, str], ...]  # headers plus the hit marker

    @classmethod
    def build(cls, expires: float, status: int, headers: list[tuple[str, str]], body: bytes) -> Page:
        return cls(
            expires=expires,
            status=status,
            headers=tuple(headers),
            body=body,
            status_line=f"{status} {HTTPStatus(status).phrase}",
            hit_headers=(*headers, (CACHE_HEADER, "hit")),
        )

    @property
    def size(self) -> int:
        return len(self.body) + PAGE_OVERHEAD

    def fresh(self) -> bool:
        return self.expires > time.time()


class PageMemo:
    """Pages of the newest generation put in, oldest dropped first once max_bytes would be passed.

    Reads take no lock: the generation and its dict are swapped as one tuple, and a dict read
    is atomic under the GIL. Writes (cache misses only) take a lock so the byte count holds.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._current: tuple[str, dict[str, Page]] = ("", {})
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, generation: str, key: str) -> Page | None:
        memo_generation, pages = self._current
        if memo_generation != generation:
            return None
        page = pages.get(key)
        return page if page is not None and page.fresh() else None

    def put(self, generation: str, key: str, page: Page) -> None:
        if page.size > self.max_bytes:
            return
        with self._lock:
            memo_generation, pages = self._current
            if memo_generation != generation:
                # Pages of another generation are never looked up again: drop them all at once.
                pages = {}
                self._current = (generation, pages)
                self._bytes = 0
            replaced = pages.pop(key, None)
            if replaced is not None:
                self._bytes -= replaced.size
            while pages and self._bytes + page.size > self.max_bytes:
                self._bytes -= pages.pop(next(iter(pages))).size
            pages[key] = page
            self._bytes += page.size

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._current[1])
