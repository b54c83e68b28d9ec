"""The dashboard pages: an admin's teams side by side, a team's quarter, a clinician's quarter and
the rows behind a figure; who may see which; the same queries for 3 or 30 clinicians."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diary.models import SlotStatus
from diary.slots import at
from planning.quarters import Quarter
from tests.factories import AppointmentFactory, SlotFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_quarter(team):
    return Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    ).previous()


def day_in(quarter, days, hour=10):
    return at(quarter.start + timedelta(days=days), time(hour))


@pytest.fixture
def activity(team, last_quarter):
    ana = clinician_in(team)
    unbooked = SlotFactory(team=team, clinicians=[ana], starts_at=day_in(last_quarter, 10))
    booked = SlotFactory(
        team=team, clinicians=[ana], starts_at=day_in(last_quarter, 17), status=SlotStatus.BOOKED
    )
    AppointmentFactory(team=team, starts_at=booked.starts_at, slots=[booked], attended=True)
    return {"ana": ana, "unbooked": unbooked}


def get(client, name, *args, quarter=None, **params):
    fields = ({"quarter": quarter.label} if quarter else {}) | params
    query = "&".join(f"{k}={v}" for k, v in fields.items())
    return client.get(reverse(name, args=args) + (f"?{query}" if query else ""))


def test_an_admin_drills_from_the_trust_to_the_team_to_the_unbooked_slots(
    client, admin, team, last_quarter, activity
):
    client.force_login(admin)
    overview = get(client, "dashboard:organisation", quarter=last_quarter)
    assert overview.status_code == 200
    body = overview.content.decode()
    assert team.name in body
    assert "Left unbooked" in body
    assert overview.context["rows"][0]["rating"].reasons

    page = get(client, "dashboard:team", team.pk, quarter=last_quarter)
    assert page.status_code == 200
    assert page.context["activity"].slots.left_unbooked == 1
    assert len(page.context["trend"]) == 8

    slots = get(client, "dashboard:team-slots", team.pk, quarter=last_quarter, what="left_unbooked")
    assert [s.pk for s in slots.context["slots"]] == [activity["unbooked"].pk]

    for what in ("accepted", "new_core", "to_core", "closed_core"):
        assert (
            get(client, "dashboard:team-cases", team.pk, quarter=last_quarter, what=what).status_code == 200
        )

    mine = get(client, "dashboard:clinician", team.pk, activity["ana"].pk, quarter=last_quarter)
    assert mine.context["mine"].slots.offered == 2


@pytest.mark.parametrize("quarter", ["2026-Q5", "nonsense", "1990-Q1", "9999-Q1"])
def test_a_bad_quarter_is_not_found(client, admin, team, quarter):
    client.force_login(admin)
    assert client.get(reverse("dashboard:team", args=[team.pk]) + f"?quarter={quarter}").status_code == 404


def test_an_unknown_figure_or_wait_is_not_found(client, admin, team):
    client.force_login(admin)
    assert client.get(reverse("dashboard:team-slots", args=[team.pk]) + "?what=nope").status_code == 404
    assert client.get(reverse("dashboard:team-waits", args=[team.pk]) + "?wait=nope").status_code == 404
    assert client.get(reverse("dashboard:team-slots", args=[team.pk]) + "?clinician=x").status_code == 404
    assert client.get(reverse("dashboard:team-cases", args=[team.pk]) + "?what=nope").status_code == 404


def test_a_clinician_sees_their_own_page_but_not_a_colleagues_or_the_team(client, team, activity):
    colleague = clinician_in(team)
    client.force_login(activity["ana"])
    assert client.get(reverse("dashboard:clinician", args=[team.pk, activity["ana"].pk])).status_code == 200
    assert client.get(reverse("dashboard:clinician", args=[team.pk, colleague.pk])).status_code == 403
    assert client.get(reverse("dashboard:team", args=[team.pk])).status_code == 403
    assert client.get(reverse("dashboard:organisation")).status_code == 403


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["dashboard:team", "dashboard:organisation"])
def test_the_pages_run_the_same_queries_for_3_and_30_clinicians(client, admin, team, last_quarter, name):
    client.force_login(admin)
    url = reverse(name, args=[team.pk] if name == "dashboard:team" else []) + f"?quarter={last_quarter.label}"
    for n in range(3):
        SlotFactory(team=team, starts_at=day_in(last_quarter, 10 + n))
    with_3 = queries(client, url)
    for n in range(27):
        SlotFactory(team=team, starts_at=day_in(last_quarter, 10 + n % 40))
    assert queries(client, url) == with_3
