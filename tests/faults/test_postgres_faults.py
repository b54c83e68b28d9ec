"""PostgreSQL restarted under a steady booking load, and PostgreSQL stopped, against gunicorn on
the test's own cluster: only what was in flight fails, and it fails with the friendly 503 page
(never a 500 or a traceback); pages answer at once rather than hang; the service is back within
5 seconds of the database; and `check_invariants` finds nothing wrong afterwards."""

from __future__ import annotations

import itertools
import socket
import threading
import time

import pytest

from tests.faults.conftest import Answer, Browser, assert_friendly_503, check_invariants

# Only so that pytest-django sets up the test database, whose schema the template cluster copies.
pytestmark = pytest.mark.django_db

CLIENTS = 3  # Choice clinicians booking at once (gunicorn has 4 sync workers)
PAUSE = 0.05  # seconds between one clinician's bookings: steady, not a flood
STEADY = 3.0  # seconds of load before the restart, and at least this long after it
BACK_WITHIN = 5.0  # seconds from the restart (or start) to the first booking that works again
ANSWER_WITHIN = 5.0  # seconds for any page while the database is down
CONNECT_TIMEOUT = 3.0  # capa/settings.py: how long a hung server is waited for


def book_path(team: int, case: int) -> str:
    return f"/diary/teams/{team}/cases/{case}/book/"


def booked_cases(postgres, cases: list[int]) -> dict[int, int]:
    rows = postgres.all(
        "SELECT case_id, count(*) FROM diary_appointment WHERE case_id = ANY(%s) AND status = 'booked' "
        "GROUP BY case_id",
        (cases,),
    )
    return dict(rows)


def test_postgres_restarted_under_booking_load_fails_only_requests_in_flight_each_with_the_503_page(
    postgres, gunicorn, fault_template
):
    team, pairs = fault_template.ids["team"], iter(fault_template.ids["pairs"])
    take = threading.Lock()
    stop = threading.Event()
    results: list[tuple[tuple[int, int], Answer | Exception]] = []
    clients = [Browser(gunicorn.port) for _ in range(CLIENTS)]
    for client in clients:
        client.log_in("tom.baker")

    def load(client: Browser) -> None:
        while not stop.is_set():
            with take:
                pair = next(pairs, None)
            if pair is None:
                return
            case, slot = pair
            try:
                answer = client.post(book_path(team, case), {"slots": str(slot), "filters": ""})
            except Exception as error:  # noqa: BLE001 - a dropped connection is reported below
                answer = error
            results.append((tuple(pair), answer))
            time.sleep(PAUSE)

    threads = [threading.Thread(target=load, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    try:
        time.sleep(STEADY)
        postmaster_before = postgres.one("SELECT pg_postmaster_start_time()")[0]
        restart_began = time.monotonic()
        postgres.restart("fast")  # returns once PostgreSQL accepts connections again
        database_back = time.monotonic()
        time.sleep(STEADY + BACK_WITHIN)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert postgres.one("SELECT pg_postmaster_start_time()")[0] > postmaster_before  # it really restarted
    errors = [answer for _, answer in results if isinstance(answer, Exception)]
    assert not errors, f"requests that got no HTTP answer at all: {errors[:5]}"
    answers = [(pair, answer) for pair, answer in results if isinstance(answer, Answer)]
    assert answers[-1][1].started > database_back + STEADY, "the load ran out before the end: seed more pairs"
    statuses = sorted({answer.status for _, answer in answers})
    assert set(statuses) <= {302, 503}, statuses
    failed = [answer for _, answer in answers if answer.status == 503]
    for answer in failed:
        assert_friendly_503(answer.status, answer.headers, answer.body)
        # In flight while PostgreSQL went down or was starting: sent before it was back, and
        # still unanswered when the restart began.
        late = answer.started - database_back
        assert late < 0.5, f"a booking sent {late:.2f} s after PostgreSQL was back answered 503"
        assert answer.started + answer.seconds > restart_began - 0.5
    after = [answer for _, answer in answers if answer.started > restart_began]
    first_working = next(answer for answer in after if answer.status == 302)
    recovered = first_working.started + first_working.seconds - restart_began
    later = [answer.status for answer in after if answer.started > database_back + 0.5]
    print(
        f"{len(answers)} bookings, {len(failed)} answered 503 during the restart; PostgreSQL down "
        f"{database_back - restart_began:.2f} s, first booking done {recovered:.2f} s after the restart began"
    )
    assert recovered < BACK_WITHIN
    assert later
    assert set(later) == {302}

    # Every booking that answered 302 is in the diary, once; one that answered 503 may or may not be
    # (the database went while its session was saved, after the booking committed), never twice.
    booked = booked_cases(postgres, [case for (case, _), _ in answers])
    for (case, _), answer in answers:
        assert booked.get(case, 0) == (1 if answer.status == 302 else booked.get(case, 0))
    assert set(booked.values()) <= {1}
    check_invariants(postgres.url)


def pages_for(fault_template) -> list[tuple[str, str, str, dict | None]]:
    """(who, method, path, data): what each persona does, all of it reading the database."""
    ids = fault_template.ids
    team = ids["team"]
    return [
        ("clinician", "GET", "/", None),
        ("clinician", "GET", f"/diary/teams/{team}/search/", None),
        ("clinician", "GET", f"/diary/teams/{team}/week/", None),
        ("lead", "GET", f"/planning/teams/{team}/capacity/", None),
        ("lead", "GET", f"/planning/teams/{team}/clinicians/{ids['clinician']}/plan/", None),
        ("admin", "GET", "/dashboard/", None),
        ("admin", "GET", f"/dashboard/teams/{team}/", None),
    ]


def test_postgres_stopped_pages_answer_the_503_page_at_once_and_work_again_when_it_returns(
    postgres, gunicorn, fault_template
):
    people = {"clinician": "tom.baker", "lead": "priya.shah", "admin": "alex.morgan"}
    browsers = {who: Browser(gunicorn.port) for who in people}
    for who, username in people.items():
        browsers[who].log_in(username)
    pages = pages_for(fault_template)
    for who, method, path, data in pages:
        assert browsers[who].request(method, path, data).status == 200, path
    team, pairs = fault_template.ids["team"], fault_template.ids["pairs"]
    case, slot = pairs[-1]  # not booked by anything else in this test

    postgres.stop("fast")
    stopped = time.monotonic()
    slowest = 0.0
    for _ in range(2):  # a first request (dead kept connection) and a second (no connection at all)
        for who, method, path, data in pages:
            answer = browsers[who].request(method, path, data)
            assert_friendly_503(answer.status, answer.headers, answer.body)
            assert answer.seconds < ANSWER_WITHIN, f"{path} took {answer.seconds:.1f} s"
            slowest = max(slowest, answer.seconds)
        booking = browsers["clinician"].post(book_path(team, case), {"slots": str(slot), "filters": ""})
        assert_friendly_503(booking.status, booking.headers, booking.body)
        stranger = Browser(gunicorn.port)
        login_page = stranger.get("/accounts/login/")
        assert login_page.status in {200, 503}
        assert login_page.seconds < ANSWER_WITHIN
        if login_page.status == 200:
            logging_in = stranger.post("/accounts/login/", {"username": "tom.baker", "password": "x" * 12})
            assert_friendly_503(logging_in.status, logging_in.headers, logging_in.body)
    print(f"with PostgreSQL stopped the slowest page answered 503 in {slowest:.2f} s")
    assert time.monotonic() - stopped < 60

    postgres.start()
    started = time.monotonic()
    first = browsers["clinician"].get("/")
    assert first.status == 200, first.body[:2000]
    print(f"home page answered 200 {time.monotonic() - started:.2f} s after PostgreSQL was back")
    assert time.monotonic() - started < BACK_WITHIN
    for who, method, path, data in pages:  # the same sessions: nobody had to log in again
        assert browsers[who].request(method, path, data).status == 200, path
    assert booked_cases(postgres, [case]) == {}  # the booking tried while it was down was not made
    booking = browsers["clinician"].post(book_path(team, case), {"slots": str(slot), "filters": ""})
    assert booking.status == 302
    assert booked_cases(postgres, [case]) == {case: 1}
    check_invariants(postgres.url)


def test_a_database_that_accepts_connections_but_never_answers_gives_the_503_page_within_5_seconds(
    postgres, gunicorn, fault_template
):
    """A hung server (or a lost network) rather than a stopped one: nothing refuses the connection,
    so libpq waits for `connect_timeout` (3 s, capa/settings.py), and the page answers 503 then."""
    browser = Browser(gunicorn.port)
    browser.log_in("tom.baker")
    postgres.stop("fast")
    black_hole = socket.socket()
    black_hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    black_hole.bind(("127.0.0.1", postgres.port))
    black_hole.listen(64)  # the kernel completes each connection; nobody ever reads or answers
    try:
        answers = [browser.get("/") for _ in itertools.repeat(None, 2)]
    finally:
        black_hole.close()
    for answer in answers:
        assert_friendly_503(answer.status, answer.headers, answer.body)
        print(f"a hung database: the page answered 503 after {answer.seconds:.2f} s")
        assert CONNECT_TIMEOUT <= answer.seconds < ANSWER_WITHIN  # one connect_timeout, not one a read

    postgres.start()
    assert browser.get("/").status == 200
    check_invariants(postgres.url)
