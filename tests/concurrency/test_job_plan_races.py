"""Two leads saving or agreeing the same clinician's plan at the same moment: real threads, real
transactions, one clear outcome."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from planning import job_plans
from planning.models import Activity, JobPlan, PlanStatus

pytestmark = pytest.mark.django_db(transaction=True)
WEEK = {(Activity.CORE, None): Decimal("10.5"), (Activity.OTHER, None): Decimal("27")}


def race(*actions):
    """Run each action in its own thread, released together; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait()
            results[i] = action()
        except Exception as error:  # noqa: BLE001 - the race's loser is part of the result
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_saves_at_once_make_two_consecutive_versions(team_lead, choice_clinician, team):
    def save():
        return job_plans.save_plan(
            clinician=choice_clinician, team=team, effective_from=date(2027, 1, 1), hours=WEEK, by=team_lead
        )

    results = race(save, save)
    assert all(isinstance(r, JobPlan) for r in results), results
    assert sorted(r.version for r in results) == [1, 2]


def test_two_leads_agreeing_the_same_draft_at_once_agree_it_once(team_lead, choice_clinician, team):
    plan = job_plans.save_plan(
        clinician=choice_clinician, team=team, effective_from=date(2027, 1, 1), hours=WEEK, by=team_lead
    )

    results = race(
        lambda: job_plans.agree_plan(plan=plan, by=team_lead),
        lambda: job_plans.agree_plan(plan=plan, by=team_lead),
    )
    winners = [r for r in results if isinstance(r, JobPlan)]
    losers = [r for r in results if isinstance(r, job_plans.PlanError)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert JobPlan.objects.filter(status=PlanStatus.AGREED).count() == 1
