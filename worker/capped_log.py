"""The capped log a scenario run carries (its result types are the contract's: worker/contract/)."""

from __future__ import annotations

import re
import threading

LOG_HEAD = 64 * 1024
LOG_TAIL = 64 * 1024
OUTPUT_LIMIT = 1024 * 1024
# Terminal control, as ECMA-48 writes it: CSI sequences (colours, cursor moves, clearing), strings
# (OSC window titles and links, DCS, SOS, PM, APC) up to their terminator or the line's end, other
# escapes, and every C0 and C1 control but tab and newline. A string left open must not swallow the
# rest of the log, hence the line's end.
_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)


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
    return clean_text(data.decode("utf-8", errors="replace"))


def clean_text(text: str) -> str:
    """Text safe to store, print on a terminal and stream: no terminal control but tab and newline.

    NUL becomes a space: databases refuse it, and /proc/*/cmdline stays readable as words. A
    carriage return that ends no line becomes a newline, so that nothing printed before it is
    hidden by what follows (`ok\rFAIL` shows both).
    """
    text = text.replace("\x00", " ").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)
