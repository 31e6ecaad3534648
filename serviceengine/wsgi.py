"""WSGI entry point: `gunicorn serviceengine.wsgi` (settings in gunicorn.conf.py and the environment)."""
import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serviceengine.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, DRF, the URL conf) lives as long as the process: move it out of the
# garbage collector's generations, so the full collections that request garbage triggers no longer walk it.
gc.freeze()
