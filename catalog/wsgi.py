"""WSGI entry point for production servers (granian, gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
application = get_wsgi_application()
