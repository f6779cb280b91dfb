"""The catalog project; loading the Celery app here makes web processes send to the configured broker."""

from worker.celery_app import app as celery_app

__all__ = ("celery_app",)
