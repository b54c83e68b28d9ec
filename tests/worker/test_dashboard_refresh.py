"""The summary refresh, run by a real worker through a real Redis: after a booking-day change,
the worker works the team's summary out again, so the page finds it ready and right."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard import quarterly
from dashboard.tasks import refresh_summaries
from planning.quarters import Quarter
from tests.factories import SlotFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_works_out_again_a_summary_a_change_made_stale(celery, team, other_connection):
    worker = celery.worker()
    quarter = Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    )
    ana = clinician_in(team)

    def summary_row():
        return other_connection.all(
            "SELECT computed_at, figures FROM dashboard_summary WHERE team_id = %s AND quarter_start = %s",
            (team.pk, quarter.start),
        )

    worker.wait_until_succeeded(refresh_summaries.delay().id)
    [(first_computed, figures)] = summary_row()
    assert figures["slots"] == {"slots": [0, 0, 0, 0, 0, 0, 0, 0]}

    SlotFactory(team=team, clinicians=[ana], starts_at=timezone.now() + timedelta(days=1))
    worker.wait_until_succeeded(refresh_summaries.delay().id)
    [(computed, figures)] = summary_row()
    assert computed > first_computed
    fresh = quarterly.activities([team], [quarter])[team.pk, quarter]
    assert figures["slots"] == {"slots": [fresh.slots.offered, 0, 0, 0, 0, 0, 0, 0]}
    assert fresh.slots.offered == 1
