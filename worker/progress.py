"""An attempt's live log and lease, kept on its row from a background thread while its scenario runs."""

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection

from catalog.models import Verification

log = logging.getLogger(__name__)
LOG_FLUSH_SECONDS = 1.0


class Progress:
    """Collects live log lines and keeps the lease alive from a background thread.

    When the lease is lost the next event raises, so the runner stops and its
    `finally` removes what it started; the newer attempt owns the row now.
    """

    def __init__(
        self, verification_id: int, attempt: int, rows=Verification, lease_seconds: float | None = None
    ):
        # rows: the model whose row this is; SubmissionRun has the same fenced heartbeat and append_log.
        self.verification_id, self.attempt, self.rows = verification_id, attempt, rows
        self.lease_seconds = settings.VERIFY_LEASE_SECONDS if lease_seconds is None else lease_seconds
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.lost = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name="verification-heartbeat")
        self.thread.start()

    def add(self, line: str) -> None:
        if self.lost.is_set():
            raise LeaseLost(f"verification {self.verification_id} attempt {self.attempt} was taken over")
        with self.lock:
            self.lines.append(line.rstrip("\n") + "\n")

    def _beat(self) -> None:
        renewed = time.monotonic()
        try:
            while not self.done.wait(LOG_FLUSH_SECONDS):
                if self._quietly(self._flush) is False:
                    self.lost.set()
                    return
                if time.monotonic() - renewed < self.lease_seconds / 4:
                    continue
                owned = self._quietly(lambda: self.rows.heartbeat(self.verification_id, self.attempt))
                if owned is False:
                    self.lost.set()
                    return
                if owned:  # None: the database is away; renew again at the next tick
                    renewed = time.monotonic()
            self._quietly(self._flush)
        finally:
            connection.close()

    @staticmethod
    def _quietly(work):
        """A database away for a moment must not end the heartbeat: try again at the next tick.

        Returns what `work` returned, or None when the database failed; the lease is only
        lost when the database answers that another attempt owns the row.
        """
        try:
            return work()
        except DatabaseError as error:
            log.warning("verification heartbeat: database unavailable, trying again: %s", error)
            connection.close()
            return None

    def _flush(self) -> bool:
        with self.lock:
            text, self.lines = "".join(self.lines), []
        try:
            return not text or self.rows.append_log(self.verification_id, self.attempt, text)
        except DatabaseError:
            with self.lock:  # kept for the next flush, in order
                self.lines.insert(0, text)
            raise

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)


class LeaseLost(RuntimeError):
    """This attempt no longer owns its verification."""
