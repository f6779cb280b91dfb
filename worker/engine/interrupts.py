"""Exceptions that end a run from outside it: never recorded as one more problem, always let through.

Celery raises SoftTimeLimitExceeded in the task's thread wherever it happens to be, and it is
an ordinary Exception: a broad `except Exception` would turn the task's deadline into a
result (or a line in a clean-up report) and run on. Code that catches broadly catches these
first and re-raises them.
"""

from celery.exceptions import SoftTimeLimitExceeded

INTERRUPTS: tuple[type[BaseException], ...] = (SoftTimeLimitExceeded,)
