"""Publishing a quarter's targets through a real Celery worker and Redis: the run completes, every
clinician gets one target however often or however concurrently it is asked for, and a worker
killed part-way leaves a run that a redelivered (or the next daily) task finishes exactly."""

from __future__ import annotations

import time
from datetime import date

import pytest
import redis
from django.utils import timezone

from accounts import demo
from accounts.models import Organisation
from capa.celery import app
from diary import publication
from diary.tasks import publish_quarter
from planning.demo import seed_planning_demo
from planning.models import Activity
from planning.quarters import Quarter
from tests.factories import OrganisationFactory, TeamFactory
from tests.factories.plans import agreed_plan_for, clinician_in
from tests.worker.conftest import VISIBILITY_TIMEOUT, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_CLINICIANS = sum(1 + len(team.clinicians) for team in demo.TEAMS)  # each team's lead and clinicians
RUN_WITHIN = 60  # seconds


def run_row(other, organisation_id: int, quarter: Quarter) -> tuple | None:
    """(status, done, total) of the quarter's run, read through the other connection."""
    return other.one(
        "SELECT status, done, total FROM diary_publicationrun "
        "WHERE organisation_id = %s AND quarter_start = %s",
        (organisation_id, quarter.start),
    )


def wait_until_completed(other, organisation_id: int, quarter: Quarter, timeout: float = RUN_WITHIN):
    def completed():
        row = run_row(other, organisation_id, quarter)
        return row if row and row[0] == "completed" else None

    return wait_for(completed, timeout=timeout, what=f"the {quarter.label} run to complete")


def targets_per_clinician(other, quarter: Quarter) -> dict[int, int]:
    rows = other.all(
        "SELECT clinician_id, count(*) FROM diary_quartertarget "
        "WHERE quarter_start = %s GROUP BY clinician_id",
        (quarter.start,),
    )
    return dict(rows)


@pytest.fixture
def demo_trust() -> Organisation:
    today = timezone.localdate()
    demo.seed_demo()
    seed_planning_demo(today=today)
    return Organisation.objects.get(name=demo.ORGANISATION_NAME)


def next_quarter(organisation: Organisation) -> Quarter:
    start_month = organisation.financial_year_start_month
    return Quarter.containing(timezone.localdate(), start_month=start_month).next()


def test_a_run_for_the_demo_trust_completes_through_the_worker_and_its_targets_are_visible_elsewhere(
    demo_trust, worker, other_connection
):
    quarter = next_quarter(demo_trust)
    assert run_row(other_connection, demo_trust.pk, quarter) is None

    publish_quarter.delay(demo_trust.pk, quarter.label, None)

    _, done, total = wait_until_completed(other_connection, demo_trust.pk, quarter)
    assert (done, total) == (DEMO_CLINICIANS, DEMO_CLINICIANS)
    per_clinician = targets_per_clinician(other_connection, quarter)
    assert len(per_clinician) == DEMO_CLINICIANS
    assert set(per_clinician.values()) == {1}
    # Every demo clinician has an agreed plan, so every target is a number.
    assert other_connection.one(
        "SELECT count(*) FROM diary_quartertarget WHERE quarter_start = %s AND target IS NULL",
        (quarter.start,),
    ) == (0,)


def test_three_runs_in_a_row_and_two_at_once_give_one_target_per_clinician_and_one_run_per_quarter(
    demo_trust, celery, other_connection
):
    worker = celery.worker(concurrency=2)  # two pool processes: the two at once really run at once
    quarter = next_quarter(demo_trust)
    for _ in range(3):
        worker.wait_until_succeeded(publish_quarter.delay(demo_trust.pk, quarter.label, None).id)
        assert run_row(other_connection, demo_trust.pk, quarter) == (
            "completed",
            DEMO_CLINICIANS,
            DEMO_CLINICIANS,
        )

    following = quarter.next()
    celery.hold_file.touch()  # each run pauses after its batch, so both are under way together
    sent = [publish_quarter.delay(demo_trust.pk, following.label, None) for _ in range(2)]
    wait_for(lambda: len(active_tasks()) == 2, timeout=30, what="both runs to be under way at once")
    celery.hold_file.unlink()
    for result in sent:
        worker.wait_until_succeeded(result.id)

    runs = other_connection.all(
        "SELECT quarter_start, status, done, total FROM diary_publicationrun WHERE organisation_id = %s "
        "ORDER BY quarter_start",
        (demo_trust.pk,),
    )
    assert runs == [
        (quarter.start, "completed", DEMO_CLINICIANS, DEMO_CLINICIANS),
        (following.start, "completed", DEMO_CLINICIANS, DEMO_CLINICIANS),
    ]
    for each in (quarter, following):
        per_clinician = targets_per_clinician(other_connection, each)
        assert (len(per_clinician), set(per_clinician.values())) == (DEMO_CLINICIANS, {1})
    assert other_connection.all("SELECT count(*), count(DISTINCT user_id) FROM diary_notice") == [
        (2 * DEMO_CLINICIANS, DEMO_CLINICIANS)  # each told once for each quarter
    ]


def active_tasks() -> list[dict]:
    """The tasks the module's workers are running now, by asking them over the broker."""
    replies = app.control.inspect(timeout=1).active() or {}
    return [task for tasks in replies.values() for task in tasks]


TEAMS = 12  # three batches of publication.BATCH_TEAMS (5, 5, 2)
PER_TEAM = 5


@pytest.fixture
def twelve_teams() -> Organisation:
    organisation = OrganisationFactory(financial_year_start_month=4)
    for _ in range(TEAMS):
        team = TeamFactory(organisation=organisation)
        for _ in range(PER_TEAM):
            clinician = clinician_in(team)
            agreed_plan_for(
                clinician,
                team,
                effective_from=date(2027, 1, 1),
                hours={Activity.CORE: "10.5", Activity.OTHER: "27"},
            )
    return organisation


def kill_after_first_batch(celery, organisation: Organisation, quarter: Quarter, other) -> None:
    """Send the run to a worker that pauses after each batch; SIGKILL it after the first."""
    worker = celery.worker()
    celery.hold_file.touch()
    publish_quarter.delay(organisation.pk, quarter.label, None)
    wait_for(
        lambda: (row := run_row(other, organisation.pk, quarter)) and 0 < row[1] < row[2],
        timeout=RUN_WITHIN,
        what="the first batch to be published",
    )
    worker.kill()
    celery.hold_file.unlink()
    assert run_row(other, organisation.pk, quarter) == (
        "running",
        PER_TEAM * publication.BATCH_TEAMS,
        TEAMS * PER_TEAM,
    )
    assert TEAMS > 2 * publication.BATCH_TEAMS  # a batch was still to come after the one being written


def assert_published_exactly_once(other, quarter: Quarter, organisation: Organisation) -> None:
    total = TEAMS * PER_TEAM
    assert run_row(other, organisation.pk, quarter) == ("completed", total, total)
    per_clinician = targets_per_clinician(other, quarter)
    assert (len(per_clinician), set(per_clinician.values())) == (total, {1})
    assert other.all("SELECT count(*), count(DISTINCT user_id) FROM diary_notice") == [(total, total)]
    assert other.all(
        "SELECT count(*), count(DISTINCT \"to\") FROM diary_outboxemail WHERE about LIKE 'target:%%'"
    ) == [(total, total)]


def test_a_worker_killed_mid_run_gets_the_task_back_when_restarted_and_completes_the_run_exactly_once(
    twelve_teams, celery, other_connection
):
    quarter = Quarter(2027, 1)
    kill_after_first_batch(celery, twelve_teams, quarter, other_connection)
    # A worker looks for unacknowledged messages older than the visibility timeout as it starts
    # (and after that only every unacked_restore_interval x unacked_restore_throttle seconds,
    # 100 s with kombu's defaults), so it is restarted once the message is old enough.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    with redis.Redis(port=celery.redis_server.port) as client:
        assert client.hlen("unacked") == 1  # delivered to the killed worker, never acknowledged
    restarted = time.monotonic()

    celery.worker()

    wait_until_completed(other_connection, twelve_teams.pk, quarter, timeout=30)
    print(f"redelivered and completed {time.monotonic() - restarted:.1f} s after the restart")
    assert_published_exactly_once(other_connection, quarter, twelve_teams)


def test_a_worker_killed_mid_run_and_restarted_at_once_has_the_run_completed_by_the_next_publish_task(
    twelve_teams, celery, other_connection
):
    quarter = Quarter(2027, 1)
    kill_after_first_batch(celery, twelve_teams, quarter, other_connection)
    # Restarted at once, the worker finds the killed task not yet past its visibility timeout, so
    # it only comes back at a later sweep (about 100 s on): the next request finishes the run.
    worker = celery.worker()

    # The daily job (or the admin's "Publish now") asks again: it carries on where the run stopped.
    worker.wait_until_succeeded(publish_quarter.delay(twelve_teams.pk, quarter.label, None).id)

    assert_published_exactly_once(other_connection, quarter, twelve_teams)
