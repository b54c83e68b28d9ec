"""Two clinicians book overlapping appointments after the first for the same colleague at the same
moment: real threads, each with its own database connection and real transactions. Exactly one
gets the time; the other is told what clashes (a BookingError); nobody gets half a joint
booking, a deadlock or a server error."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import partial
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.calendar import bank_holidays
from diary import follow_ups
from diary.booking import BookingError
from diary.models import Appointment, AppointmentKind, ClinicianTime
from diary.slots import at
from partnership.models import CaseState
from tests.factories import CaseFactory, VenueFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 50


class Pair:
    """Two threads that live for the whole test (one database connection each) and, round after
    round, are released together by a barrier to run one action each."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.start = threading.Barrier(size + 1)
        self.done = threading.Barrier(size + 1)
        self.actions: list[Callable[[], object]] = []
        self.results: list[object] = [None] * size
        self.stop = False
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(size)]
        for thread in self.threads:
            thread.start()

    def _run(self, i: int) -> None:
        try:
            while True:
                self.start.wait(timeout=60)
                if self.stop:
                    return
                try:
                    self.results[i] = self.actions[i]()
                except Exception as error:  # noqa: BLE001 - the race's loser is part of the result
                    self.results[i] = error
                self.done.wait(timeout=60)
        finally:
            connection.close()

    def race(self, actions: list[Callable[[], object]]) -> list[object]:
        self.actions = actions
        self.results = [None] * self.size
        self.start.wait(timeout=60)
        self.done.wait(timeout=120)
        return list(self.results)

    def close(self) -> None:
        self.stop = True
        self.start.wait(timeout=60)
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def pair():
    made = Pair()
    yield made
    made.close()


def working_days(count: int) -> list[date]:
    """Weekdays from two weeks ahead that are not bank holidays in England."""
    day, days = timezone.localdate() + timedelta(weeks=2), []
    while len(days) < count:
        if day.weekday() < 5 and day not in bank_holidays("ENG", day.year):
            days.append(day)
        day += timedelta(days=1)
    return days


def test_two_overlapping_follow_ups_for_one_clinician_never_both_succeed(team, pair):
    shared, first_booker, second_booker = clinician_in(team), clinician_in(team), clinician_in(team)
    venue = VenueFactory(team=team)
    for round_, day in enumerate(working_days(ROUNDS)):
        first, second = (CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP) for _ in range(2))
        # One books the shared colleague alone; the other books them jointly with themself, half
        # an hour later; which is listed first alternates.
        alone = partial(
            follow_ups.book_follow_up,
            case=first,
            clinicians=[shared],
            venue=venue,
            starts_at=at(day, time(10)),
            ends_at=at(day, time(11)),
            by=first_booker,
        )
        joint = partial(
            follow_ups.book_follow_up,
            case=second,
            clinicians=[second_booker, shared],
            venue=venue,
            starts_at=at(day, time(10, 30)),
            ends_at=at(day, time(11, 30)),
            by=second_booker,
        )

        results = pair.race([alone, joint] if round_ % 2 else [joint, alone])

        kinds = Counter(type(result).__name__ for result in results)
        assert kinds == {"Appointment": 1, "FollowUpClash": 1}, results
        (loser,) = [r for r in results if isinstance(r, BookingError)]
        assert str(shared) in loser.message
        assert "nothing was booked" in loser.message
        (winner,) = [r for r in results if isinstance(r, Appointment)]
        booked = Appointment.objects.filter(case__in=[first, second])
        assert list(booked) == [winner]
        # The winner's time is all there; the loser left nothing behind, not even half a joint booking.
        on_the_day = ClinicianTime.objects.filter(appointment__case__in=[first, second], is_live=True)
        expected = 1 if winner.case_id == first.pk else 2
        assert on_the_day.count() == expected
        assert set(on_the_day.values_list("appointment_id", flat=True)) == {winner.pk}


CSRF_SECRET = "x" * 32  # a well-formed CSRF token: Django accepts the unmasked secret as cookie and field


def logged_in_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_two_clinicians_posting_overlapping_follow_ups_get_one_booking_and_one_409(live_server, team):
    shared, bookers = clinician_in(team), [clinician_in(team), clinician_in(team)]
    cookies = [logged_in_cookie(booker) for booker in bookers]
    venue = VenueFactory(team=team)
    address = urlsplit(live_server.url)
    for day in working_days(10):
        cases = [CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP) for _ in bookers]
        barrier = threading.Barrier(2)
        answers: list[object] = [None, None]

        def post(i: int, day=day, cases=cases, barrier=barrier, answers=answers) -> None:
            path = reverse("diary:follow-up-new", args=[team.pk, cases[i].pk])
            body = urlencode(
                {
                    "day_day": day.day,
                    "day_month": day.month,
                    "day_year": day.year,
                    "starts": ["10:00", "10:45"][i],
                    "ends": ["11:00", "11:45"][i],
                    "venue": venue.pk,
                    "clinicians": shared.pk,
                    "csrfmiddlewaretoken": CSRF_SECRET,
                }
            )
            try:
                conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
                conn.connect()
                barrier.wait(timeout=60)
                conn.request(
                    "POST",
                    path,
                    body=body,
                    headers={
                        "Cookie": f"{cookies[i]}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}",
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Referer": live_server.url + path,
                    },
                )
                response = conn.getresponse()
                answers[i] = (response.status, response.read().decode())
                conn.close()
            except Exception as error:  # noqa: BLE001 - reported by the assertions below
                answers[i] = error

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        statuses = sorted(answer[0] if isinstance(answer, tuple) else repr(answer) for answer in answers)
        assert statuses == [302, 409], answers
        (clash,) = [body for status, body in answers if status == 409]
        assert "nothing was booked" in clash
        assert Appointment.objects.filter(case__in=cases, kind=AppointmentKind.FOLLOW_UP).count() == 1
