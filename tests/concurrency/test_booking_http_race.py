"""Fifty Choice clinicians press "Confirm the booking" for the same slot at the same moment, over
HTTP against a running server: one family is booked, everyone else gets the 409 page with the next
free slots, and nobody sees a server error."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread
from django.urls import reverse

from diary.models import Appointment
from tests.factories import CaseFactory, SlotFactory, VenueFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db(transaction=True)
CLIENTS = 50
CSRF_SECRET = "x" * 32  # a well-formed CSRF token: Django accepts the unmasked secret as cookie and field


class RoomyServer(ThreadedWSGIServer):
    # Django's test server queues 10 connections waiting to be accepted; fifty arriving at once on
    # a busy machine overflow that queue and the kernel resets some of them, before any view runs.
    # Production's gunicorn queues 2,048.
    request_queue_size = 128


class RoomyServerThread(LiveServerThread):
    server_class = RoomyServer


@pytest.fixture
def server(transactional_db, settings) -> Iterator[str]:
    """A live server like pytest-django's `live_server`, with room for fifty connections at once."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    thread = RoomyServerThread("127.0.0.1", static_handler=StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


def logged_in_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_fifty_clients_posting_the_same_booking_book_it_once(server, team):
    venue = VenueFactory(team=team)
    slot = SlotFactory(team=team, venue=venue)
    SlotFactory.create_batch(4, team=team, venue=venue)
    clinicians = [clinician_in(team) for _ in range(CLIENTS)]
    requests = [
        (logged_in_cookie(clinician), reverse("diary:book", args=[team.pk, CaseFactory(team=team).pk]))
        for clinician in clinicians
    ]
    address = urlsplit(server)
    barrier = threading.Barrier(CLIENTS)
    answers: list[tuple[int, str] | Exception] = [None] * CLIENTS  # type: ignore[list-item]

    def post(i: int) -> None:
        cookie, path = requests[i]
        body = urlencode(
            {"slots": str(slot.pk), "filters": f"venues={venue.pk}", "csrfmiddlewaretoken": CSRF_SECRET}
        )
        try:
            conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
            conn.connect()  # connect first (the test server's listen queue is short), then all post at once
            barrier.wait(timeout=60)
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Cookie": f"{cookie}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": server + path,
                },
            )
            response = conn.getresponse()
            answers[i] = (response.status, response.read().decode())
            conn.close()
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            answers[i] = error

    threads = [threading.Thread(target=post, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = [answer[0] if isinstance(answer, tuple) else repr(answer) for answer in answers]
    # What anything else was, so that a failure says why (a 500's page, a refused connection).
    unexpected = [
        answer if not isinstance(answer, tuple) else (answer[0], answer[1][:2000])
        for answer in answers
        if not isinstance(answer, tuple) or answer[0] not in (302, 409)
    ]
    assert statuses.count(302) == 1, (statuses, unexpected)
    assert statuses.count(409) == CLIENTS - 1, (statuses, unexpected)
    assert Appointment.objects.filter(slots=slot).count() == 1
    for answer in answers:
        if answer[0] == 409:
            assert "That slot was just taken. Here are the next free ones." in answer[1]
            assert answer[1].count('name="slots"') >= 3  # at least three alternatives, each a booking form
            assert f"venues={venue.pk}" in answer[1]  # the clinician's filters kept
