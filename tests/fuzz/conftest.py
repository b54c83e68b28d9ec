from __future__ import annotations

import pytest

from tests.fuzz.world import World


@pytest.fixture
def world(team, other_team):
    return World(team, other_team)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Tasks the views send to the worker are caught here instead of reaching Redis."""
    sent: list = []

    def enqueue_now(task, *args):
        sent.append((task.name, args))
        return True

    monkeypatch.setattr("diary.views_publication.enqueue_now", enqueue_now)
    monkeypatch.setattr("diary.outbox.enqueue_unless_waiting", enqueue_now)
    return sent
