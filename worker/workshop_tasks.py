"""The daily re-verification of the workshops still to come: a Celery task over catalog/workshops/reverify.py.

A module of its own because reverify.py queues through catalog/verifications/queueing.py, which
imports worker/tasks.py: kept apart, the imports run one way.
"""

import dataclasses

from celery import shared_task
from django.db import close_old_connections

from catalog.serving import page_cache
from catalog.workshops.reverify import reverify_workshops


@shared_task(name="catalog.reverify_workshops")
def reverify_upcoming_workshops() -> dict:
    """Cold verifications of every example of the workshops still to come, once a calendar day."""
    close_old_connections()
    counts = reverify_workshops()
    if counts.queued or counts.joined:
        page_cache.bump_generation()  # pattern and workshop pages say "queued"
    return dataclasses.asdict(counts)
