"""The capped log a scenario run carries (its result types are the contract's: worker/contract/)."""

from __future__ import annotations

import re
import threading

LOG_HEAD = 64 * 1024
LOG_TAIL = 64 * 1024
OUTPUT_LIMIT = 1024 * 1024
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]|[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CappedLog:
    """Keeps the first and the last 64 KiB of a stream and counts the rest.

    A flooding container or build then costs bounded memory, and the stored log
    still shows how the output began and how it ended. Thread-safe: a reader
    thread appends while the runner reads.
    """

    def __init__(self, head: int = LOG_HEAD, tail: int = LOG_TAIL):
        self._head_size, self._tail_size = head, tail
        self._head = bytearray()
        self._tail = bytearray()
        self._lock = threading.Lock()
        self.total = 0

    def add(self, data: bytes | str) -> None:
        chunk = data.encode() if isinstance(data, str) else bytes(data)
        with self._lock:
            self.total += len(chunk)
            room = self._head_size - len(self._head)
            if room > 0:
                self._head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self._tail += chunk
                del self._tail[: max(0, len(self._tail) - self._tail_size)]

    def text(self) -> str:
        """The log as clean text: UTF-8 with replacement, no NUL, ANSI or other control characters."""
        with self._lock:
            head, tail, total = bytes(self._head), bytes(self._tail), self.total
        omitted = total - len(head) - len(tail)
        text = _clean(head)
        if omitted > 0:
            text += f"\n[... {omitted} bytes omitted ...]\n"
        return text + _clean(tail)


def capped_text(text: str, head: int = 16 * 1024, tail: int = 16 * 1024) -> str:
    """Text cut to its first and last bytes, with a marker saying how much is left out."""
    log = CappedLog(head, tail)
    log.add(text)
    return log.text()


def _clean(data: bytes) -> str:
    # NUL becomes a space: databases refuse it, and /proc/*/cmdline stays readable as words.
    return _CONTROL.sub("", data.decode("utf-8", errors="replace").replace("\x00", " "))
