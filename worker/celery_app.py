"""The Celery application, configured from Django's settings (the CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")

app = Celery("catalog")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in worker/tasks.py; listing the package avoids scanning every installed app.
app.autodiscover_tasks(["worker"])
