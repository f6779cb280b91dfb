"""WSGI entry point for production servers (granian, gunicorn): Django behind the page-cache front."""

import os

from django.core.wsgi import get_wsgi_application

from catalog.serving.page_front import PageFront

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
application = PageFront(get_wsgi_application())
