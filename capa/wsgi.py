import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capa.settings")
# A web process: the settings add web-request statement and lock timeouts (capa/settings.py).
os.environ.setdefault("CAPA_PROCESS", "web")
application = get_wsgi_application()
