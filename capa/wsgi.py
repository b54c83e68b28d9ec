import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capa.settings")
# A web process: the settings add web-request statement and lock timeouts (capa/settings.py).
os.environ.setdefault("CAPA_PROCESS", "web")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the models, and the URLconf with every view, loaded
# here rather than by the first request) lives as long as the worker: moved out of the collector's
# sight, a full collection no longer walks it. Without this about one request in ten stalled for a
# full collection: the team capacity page's p95 was 135 to 149 ms against a p50 of 59; with it, 69
# to 75 ms (bench/capacity.py, 2026-12-02). Garbage is collected first, so none of it is kept.
get_resolver().url_patterns  # noqa: B018  (imports the views)
gc.collect()
gc.freeze()
