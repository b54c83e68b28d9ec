"""The Celery application. Beat's schedule lives here, in code, in UTC."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capa.settings")

app = Celery("capa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each entry says why it runs when it does. Later issues add the quarterly publication.
app.conf.beat_schedule = {
    # Proof that beat, the broker and a worker are all up (`/health`, the admins' notice); each
    # expires before the next is sent, so a backlog after an outage is not a burst of them.
    "heartbeat": {"task": "capa.tasks.heartbeat", "schedule": 30.0, "options": {"expires": 25}},
    # Emails wait in the outbox if the broker was down when they were written; sweeping every
    # minute bounds that delay, and an empty sweep costs one indexed query.
    "drain-outbox": {"task": "diary.tasks.drain_outbox", "schedule": 60.0},
    # Daily at 05:30 UTC: clear of the UK clock changes (01:00 UTC) and before the working day, so
    # targets and reminders are there when clinicians arrive. A missed day is caught up the next.
    # The dashboards' summaries, worked out again soon after whatever they count changes, so that
    # pages find them ready (a page never waits for this: it works out a stale summary itself).
    # Every 10 s: an organisation's 20 busy teams then rarely have one stale when an admin looks,
    # and a run that finds nothing stale costs two indexed queries.
    "refresh-dashboard-summaries": {
        "task": "dashboard.tasks.refresh_summaries",
        "schedule": 10.0,
        "options": {"expires": 9},
    },
    # Daily at 04:10 UTC, before the working day: changes and summaries older than two days can no
    # longer decide anything (a summary is used only on the day it was worked out).
    "prune-dashboard-summaries": {
        "task": "dashboard.tasks.prune_summaries",
        "schedule": crontab(hour=4, minute=10),
    },
    "ensure-next-quarter-published": {
        "task": "diary.tasks.ensure_next_quarter_published",
        "schedule": crontab(hour=5, minute=30),
    },
}
