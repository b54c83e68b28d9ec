"""A Celery worker SIGKILLed in the middle of publishing a quarter's targets, on the test's own
PostgreSQL and Redis: restarted, it gets the task back and completes the run, every clinician has
exactly one target, one notice and one email, and `check_invariants` finds nothing wrong.

tests/worker/test_publication_worker.py covers the same kill against the suite's test database
(and a restart before the visibility timeout); this adds the invariants check on a database of
its own. The organisation of twelve teams of five comes from tests/faults/seed.py."""

from __future__ import annotations

import time

import pytest
import redis as redis_client

from capa.celery import app
from diary import publication
from diary.tasks import publish_quarter
from planning.quarters import Quarter
from tests.faults.conftest import check_invariants
from tests.faults.seed import PER_TEAM, TWELVE_TEAMS
from tests.worker.conftest import VISIBILITY_TIMEOUT, Celery, wait_for

# Only so that pytest-django sets up the test database, whose schema the template cluster copies.
pytestmark = pytest.mark.django_db

QUARTER = Quarter(2027, 1)
TOTAL = TWELVE_TEAMS * PER_TEAM
RUN_WITHIN = 60  # seconds


def test_a_worker_killed_mid_publication_completes_the_run_exactly_once_when_restarted(
    postgres, redis, fault_template, tmp_path
):
    organisation = fault_template.ids["twelve_teams"]

    def run() -> tuple | None:
        sql = (
            "SELECT status, done, total FROM diary_publicationrun "
            "WHERE organisation_id = %s AND quarter_start = %s"
        )
        return postgres.one(sql, (organisation, QUARTER.start))

    celery = Celery(redis_server=redis, database_url=postgres.url, directory=tmp_path)
    try:
        worker = celery.worker()
        celery.hold_file.touch()  # the run pauses after each batch of teams
        with app.connection_for_write(redis.url) as connection:
            publish_quarter.apply_async(args=[organisation, QUARTER.label, None], connection=connection)
        wait_for(lambda: (row := run()) and 0 < row[1] < row[2], timeout=RUN_WITHIN, what="the first batch")
        worker.kill()  # SIGKILL, the whole process group: no acknowledgement, no clean-up
        celery.hold_file.unlink()
        assert run() == ("running", PER_TEAM * publication.BATCH_TEAMS, TOTAL)
        time.sleep(VISIBILITY_TIMEOUT + 1)  # the unacknowledged message is old enough to come back
        with redis_client.Redis(port=redis.port) as client:
            assert client.hlen("unacked") == 1
        restarted = time.monotonic()

        celery.worker()

        wait_for(lambda: run() == ("completed", TOTAL, TOTAL), timeout=30, what="the run to complete")
        print(f"redelivered and completed {time.monotonic() - restarted:.1f} s after the restart")
    except BaseException:
        print(celery.logs())
        raise
    finally:
        celery.kill_all()

    targets = postgres.all(
        "SELECT t.clinician_id, count(*) FROM diary_quartertarget t "
        "JOIN accounts_team team ON team.id = t.team_id "
        "WHERE team.organisation_id = %s AND t.quarter_start = %s GROUP BY t.clinician_id",
        (organisation, QUARTER.start),
    )
    assert len(targets) == TOTAL
    assert {count for _, count in targets} == {1}
    clinicians = [clinician for clinician, _ in targets]
    assert postgres.one(
        "SELECT count(*), count(DISTINCT user_id) FROM diary_notice WHERE user_id = ANY(%s)", (clinicians,)
    ) == (TOTAL, TOTAL)
    emails = (
        'SELECT count(*), count(DISTINCT "to") FROM diary_outboxemail WHERE about LIKE %s '
        'AND "to" IN (SELECT email FROM accounts_user WHERE id = ANY(%s))'
    )
    assert postgres.one(emails, ("target:%", clinicians)) == (TOTAL, TOTAL)
    check_invariants(postgres.url)
