"""`/health` for load balancers, and the notice admins see when background jobs are delayed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from capa import health
from capa.models import Heartbeat
from tests.factories import OutboxEmailFactory
from tests.worker.conftest import free_port

pytestmark = pytest.mark.django_db

NOWHERE = "redis://127.0.0.1:{port}/0"


def beat(name: str, ago: timedelta) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"last_at": timezone.now() - ago})


def test_health_is_ok_without_logging_in_when_everything_answers(client):
    beat(health.WORKER, timedelta(seconds=20))
    beat(health.DAILY_CHECK, timedelta(hours=3))
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "worker": True,
        "beat": True,
    }
    assert response["Cache-Control"].startswith("max-age=0")
    assert "127.0.0.1" not in response.content.decode()  # names no host


def test_a_new_install_is_ok_before_the_first_heartbeat(client):
    body = client.get(reverse("health")).json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"] == {"ok": None, "detail": "no heartbeat yet", "ms": None}


def test_a_late_worker_makes_health_degraded_not_down(client):
    beat(health.WORKER, timedelta(minutes=5))
    response = client.get(reverse("health"))
    assert response.status_code == 200  # the web still serves: taking it out of the pool helps nobody
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == {
        "ok": False,
        "detail": "last heartbeat 5 min ago",
        "ms": None,
    }


def test_an_unreachable_redis_makes_health_degraded(client, settings):
    settings.CELERY_BROKER_URL = NOWHERE.format(port=free_port())
    body = client.get(reverse("health")).json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False


def test_a_missed_daily_check_is_reported(client):
    beat(health.WORKER, timedelta(seconds=5))
    beat(health.DAILY_CHECK, timedelta(hours=30))
    body = client.get(reverse("health")).json()
    assert body["status"] == "degraded"
    assert body["checks"]["beat"]["detail"] == "daily check last ran 1800 min ago"


def test_health_only_answers_get(client):
    assert client.post(reverse("health")).status_code == 405


@pytest.mark.parametrize(
    ("situation", "words"),
    [
        ("redis down", "The job queue (Redis) cannot be reached."),
        ("worker late", "No background worker has answered recently (last heartbeat 3 min ago)."),
        ("email waiting", "1 email waiting to be sent for over a minute."),
    ],
)
def test_admins_see_that_background_jobs_are_delayed_and_why(client, admin, settings, situation, words):
    if situation == "redis down":
        settings.CELERY_BROKER_URL = NOWHERE.format(port=free_port())
    elif situation == "worker late":
        beat(health.WORKER, timedelta(minutes=3))
    else:
        OutboxEmailFactory(next_attempt_at=timezone.now() - timedelta(minutes=2))
    client.force_login(admin)
    page = client.get(reverse("home")).content.decode()
    assert "Background jobs delayed" in page
    assert words in page


def test_admins_see_no_notice_when_jobs_run(client, admin):
    beat(health.WORKER, timedelta(seconds=10))
    OutboxEmailFactory(next_attempt_at=timezone.now() - timedelta(seconds=20))  # due, not yet late
    client.force_login(admin)
    assert "Background jobs delayed" not in client.get(reverse("home")).content.decode()


def test_clinicians_are_not_told_about_background_jobs(client, choice_clinician, settings):
    settings.CELERY_BROKER_URL = NOWHERE.format(port=free_port())
    client.force_login(choice_clinician)
    assert "Background jobs delayed" not in client.get(reverse("home")).content.decode()
