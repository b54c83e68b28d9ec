"""Redis stopped for two minutes, against gunicorn and a Celery worker on the test's own
PostgreSQL and Redis: logging in, the home page, searching the diary, booking, the team's week,
job plans (read and saved) and the capacity and activity dashboards all keep working at once the
whole time; Redis is a broker only. When it returns, the worker sends the bookings' emails that
waited in the outbox, and `check_invariants` finds nothing wrong.

(tests/worker/test_outbox_without_redis.py shows the same for booking and saving a plan called
directly, and the beat's every-minute drain sending the mail.)"""

from __future__ import annotations

import time

import pytest

from capa.celery import app
from diary.tasks import drain_outbox
from tests.faults.conftest import Browser, FormFields, check_invariants
from tests.worker.conftest import Celery, wait_for

# Only so that pytest-django sets up the test database, whose schema the template cluster copies.
pytestmark = pytest.mark.django_db

REDIS_DOWN = 120  # seconds
# Seconds: an answer that waited on Redis would take longer (a broker connection attempt); generous
# because `make test` runs other groups of tests on the same two cores at the same time.
AT_ONCE = 5.0
BETWEEN_ROUNDS = 4  # seconds between one round of every page and the next
SENT_WITHIN = 60  # seconds for the worker to send the waiting mail once Redis is back


def test_with_redis_stopped_for_two_minutes_log_in_search_booking_job_plans_and_dashboards_keep_working(
    postgres, redis, gunicorn, fault_template, tmp_path
):
    ids = fault_template.ids
    team, clinician, pairs = ids["team"], ids["clinician"], iter(reversed(ids["pairs"]))
    celery = Celery(redis_server=redis, database_url=postgres.url, directory=tmp_path)
    try:
        celery.worker()
        timings: dict[str, float] = {}
        booked: list[int] = []

        def expect(what: str, answer, status: int) -> None:
            assert answer.status == status, f"{what} answered {answer.status}:\n{answer.body[:2000]}"
            assert answer.seconds < AT_ONCE, f"{what} took {answer.seconds:.1f} s with Redis stopped"
            timings[what] = max(timings.get(what, 0.0), answer.seconds)

        def logged_in(username: str) -> Browser:
            browser = Browser(gunicorn.port)
            expect("log-in page", browser.get("/accounts/login/"), 200)
            credentials = {"username": username, "password": PASSWORD}
            expect("logging in", browser.post("/accounts/login/", credentials), 302)
            return browser

        def every_page() -> None:
            choice = logged_in("tom.baker")
            search = f"/diary/teams/{team}/search/"
            expect("home page", choice.get("/"), 200)
            expect("diary search", choice.get(search), 200)
            expect("diary search, filtered", choice.get(f"{search}?times_of_day=morning"), 200)
            case, slot = next(pairs)
            book = f"/diary/teams/{team}/cases/{case}/book/"
            expect("booking", choice.post(book, {"slots": str(slot), "filters": ""}), 302)
            booked.append(case)
            expect("team's week", choice.get(f"/diary/teams/{team}/week/"), 200)
            expect("my job plan", choice.get(f"/planning/teams/{team}/clinicians/{clinician}/plan/"), 200)

            lead = logged_in("priya.shah")
            edit = f"/planning/teams/{team}/clinicians/{clinician}/plan/edit/"
            page = lead.get(edit)
            expect("job plan form", page, 200)
            fields = FormFields.of(page.body, marker="/plan/edit/").fields
            expect("saving a job plan", lead.post(edit, [*fields, ("action", "save")]), 302)
            expect("team capacity", lead.get(f"/planning/teams/{team}/capacity/"), 200)
            expect("team activity", lead.get(f"/dashboard/teams/{team}/"), 200)

            admin = logged_in("alex.morgan")
            expect("trust capacity", admin.get("/planning/"), 200)
            expect("trust activity", admin.get("/dashboard/"), 200)
            expect("publication", admin.get("/diary/publication/"), 200)

        every_page()  # with Redis up: the same pages, so that a failure below is the outage's
        redis.stop()
        stopped = time.monotonic()
        rounds = 0
        while time.monotonic() - stopped < REDIS_DOWN:
            every_page()
            rounds += 1
            time.sleep(BETWEEN_ROUNDS)
        assert not redis.ping()
        down_for = time.monotonic() - stopped
        redis.start()
        print(
            f"Redis down {down_for:.0f} s: {rounds} rounds of every page, slowest answers: "
            + ", ".join(f"{what} {seconds:.2f} s" for what, seconds in sorted(timings.items()))
        )

        appointments = [
            row[0]
            for row in postgres.all(
                "SELECT id FROM diary_appointment WHERE case_id = ANY(%s) AND status = 'booked'", (booked,)
            )
        ]
        assert len(appointments) == len(booked) == rounds + 1
        about = [f"appointment:{pk}" for pk in appointments]

        def statuses() -> dict[str, int]:
            sql = "SELECT status, count(*) FROM diary_outboxemail WHERE about = ANY(%s) GROUP BY status"
            return dict(postgres.all(sql, (about,)))

        assert statuses().get("pending", 0) >= rounds  # the outage's mail waited in the outbox
        # The beat's every-minute drain-outbox (tests/worker/test_outbox_without_redis.py waits for
        # it); here the test sends that task itself, to the worker that lived through the outage.
        with app.connection_for_write(redis.url) as connection:
            drain_outbox.apply_async(connection=connection)
        wait_for(lambda: set(statuses()) == {"sent"}, timeout=SENT_WITHIN, what="the emails to go")
        assert sum(statuses().values()) == len(about)  # one email a booking, none twice
    except BaseException:
        print(celery.logs())
        raise
    finally:
        celery.kill_all()
    check_invariants(postgres.url)


PASSWORD = "capa-demo-password"
