"""Names on one engine held by one run of commands at a time, so that concurrent runs never collide.

Two verifications of the same example type the same `docker run --name web` and `docker build
-t web`; the engine has one namespace for both. Each name a run uses is an flock on a file named
after the engine and the name: the kernel frees it when the run's process dies, so a crashed
worker never leaves a name held, and runs on every catalog sharing the engine see the same locks.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from pathlib import Path

DEFAULT_ROOT = Path(tempfile.gettempdir()) / "catalog-command-locks"
_POLL_SECONDS = 0.1


class NameBusy(Exception):
    """Another run held the name for the whole wait."""

    def __init__(self, key: str, waited: float):
        super().__init__(f"{key} stayed in use by another verification for {waited:.0f} s")
        self.key = key


class NameLocks:
    """The names one run holds on one engine, until close()."""

    def __init__(self, engine_id: str, root: Path = DEFAULT_ROOT):
        self.folder = root / hashlib.sha256(engine_id.encode()).hexdigest()[:16]
        self.folder.mkdir(parents=True, exist_ok=True)
        self._held: dict[str, int] = {}

    @property
    def held(self) -> tuple[str, ...]:
        return tuple(sorted(self._held))

    def hold(self, key: str, deadline: float) -> None:
        """Take `key` (say "container:web") or wait for it until `deadline` (time.monotonic())."""
        if key in self._held:
            return
        # The file name is a digest: names hold characters a path must not ("/", ":").
        path = self.folder / hashlib.sha256(key.encode()).hexdigest()
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    raise NameBusy(key, time.monotonic() - started) from None
                time.sleep(_POLL_SECONDS)
        self._held[key] = descriptor

    def close(self) -> None:
        for descriptor in self._held.values():
            os.close(descriptor)  # closing the last descriptor releases the flock
        self._held.clear()
