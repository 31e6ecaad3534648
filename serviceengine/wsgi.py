"""WSGI entry point: `gunicorn serviceengine.wsgi` (settings in gunicorn.conf.py and the environment)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serviceengine.settings")

application = get_wsgi_application()
