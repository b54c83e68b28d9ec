"""Beat's heartbeat, run by a real worker through a real Redis, is what `/health` and the admins'
notice read: fresh while all runs, "degraded" and a notice as soon as Redis goes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.worker.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

HEARTBEAT_EVERY = 30  # seconds (capa/celery.py)
MARGIN = 30  # for the worker and beat to start on a busy machine


def test_beat_and_a_worker_keep_the_heartbeat_that_health_reads(celery, client, admin, other_connection):
    celery.worker()
    celery.beat()

    def heartbeat():
        return other_connection.all("SELECT last_at FROM capa_heartbeat WHERE name = 'worker'")

    wait_for(heartbeat, timeout=HEARTBEAT_EVERY + MARGIN, interval=0.5, what="the first heartbeat")
    body = client.get(reverse("health")).json()
    assert body["status"] == "ok", body
    assert body["checks"]["worker"]["ok"] is True
    client.force_login(admin)
    assert "Background jobs delayed" not in client.get(reverse("home")).content.decode()

    celery.redis_server.stop()
    try:
        body = client.get(reverse("health")).json()
        assert body["status"] == "degraded"
        assert body["checks"]["redis"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
        assert "The job queue (Redis) cannot be reached." in client.get(reverse("home")).content.decode()
    finally:
        celery.redis_server.start()
