"""The Celery application. Beat's schedule lives here, in code, in UTC."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capa.settings")

app = Celery("capa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each entry says why it runs when it does. Later issues add the quarterly publication.
app.conf.beat_schedule = {}
