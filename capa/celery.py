"""The Celery application. Beat's schedule lives here, in code, in UTC."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capa.settings")

app = Celery("capa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each entry says why it runs when it does. Later issues add the quarterly publication.
app.conf.beat_schedule = {
    # Emails wait in the outbox if the broker was down when they were written; sweeping every
    # minute bounds that delay, and an empty sweep costs one indexed query.
    "drain-outbox": {"task": "diary.tasks.drain_outbox", "schedule": 60.0},
}
