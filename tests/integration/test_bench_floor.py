"""The booking floor of bench/_urls.py writes what a booking writes, so the benchmark's floor is
a fair lower bound: the same rows in the same tables, audit and change-log rows included."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse

from diary.models import Appointment, SlotStatus
from partnership.models import CaseState
from tests.factories import CaseFactory, SlotFactory
from tests.factories.diary import clinician_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench._urls")]


def row_counts() -> Counter[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall()]
        counts = Counter()
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608  (names from pg_tables)
            counts[table] = cursor.fetchone()[0]
    return counts


def rows_written(post) -> Counter[str]:
    before = row_counts()
    post()
    after = row_counts()
    return Counter({table: after[table] - before[table] for table in after if after[table] != before[table]})


def one_slot(team) -> str:
    return str(SlotFactory(team=team).pk)


def joint_pair(team) -> str:
    """Two clinicians' slots at the same venue and time, booked together."""
    first = SlotFactory(team=team, clinicians=[clinician_in(team)])
    second = SlotFactory(
        team=team,
        venue=first.venue,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        clinicians=[clinician_in(team)],
    )
    return f"{first.pk},{second.pk}"


@pytest.mark.parametrize("choice", [one_slot, joint_pair], ids=["one", "pair"])
def test_the_floor_writes_the_rows_a_booking_writes(team, choice_clinician, client, choice):
    client.force_login(choice_clinician)
    booked_case, floor_case = CaseFactory(team=team), CaseFactory(team=team)
    booked, floored = choice(team), choice(team)

    by_booking = rows_written(
        lambda: client.post(reverse("diary:book", args=[team.pk, booked_case.pk]), {"slots": booked})
    )
    by_floor = rows_written(
        lambda: client.post(reverse("bench-booking-floor", args=[team.pk, floor_case.pk]), {"slots": floored})
    )

    assert by_booking["diary_appointment"] == 1
    assert by_floor == by_booking
    floor_case.refresh_from_db()
    assert floor_case.state == CaseState.FIRST_CORE_BOOKED
    appointment = Appointment.objects.get(case=floor_case)
    assert {link.slot.status for link in appointment.slot_links.all()} == {SlotStatus.BOOKED}


def test_the_floor_books_a_taken_slot_for_nobody_and_writes_nothing(team, choice_clinician, client):
    client.force_login(choice_clinician)
    slot = SlotFactory(team=team)
    first, second = CaseFactory(team=team), CaseFactory(team=team)
    floor = reverse("bench-booking-floor", args=[team.pk, first.pk])
    assert client.post(floor, {"slots": slot.pk}).status_code == 302

    written = rows_written(
        lambda: client.post(reverse("bench-booking-floor", args=[team.pk, second.pk]), {"slots": slot.pk})
    )
    assert not {table: n for table, n in written.items() if table != "django_session"}
    second.refresh_from_db()
    assert second.state == CaseState.AWAITING_FIRST_CORE
