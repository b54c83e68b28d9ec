"""Personas: the people whose journeys the tests follow.

- `choice_clinician` (also `clinician`): a clinician in Riverside CAMHS.
- `team_lead`: leads Riverside CAMHS.
- `admin`: organisation-wide admin of the trust, who also runs the Django admin site.
- `outsider`: a clinician of another team (Hillside CAMHS) in the same trust.
Everyone logs in with `DEMO_PASSWORD`.
"""

from __future__ import annotations

import factory.random
import pytest
from django.conf import settings

from accounts.models import Role
from tests.factories import (
    AdminMembershipFactory,
    ClinicianProfileFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
)

factory.random.reseed_random("capa")


@pytest.fixture(autouse=True)
def _same_fake_names_whatever_ran_before(request):
    """Each test draws the same names and dates from the factories on every run, whichever tests
    ran before it in its process (pytest-xdist hands tests to whichever worker is free)."""
    factory.random.reseed_random(request.node.nodeid)


# Tests render templates without running collectstatic, and need not hash passwords slowly.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Northshire NHS Foundation Trust")


@pytest.fixture
def team(organisation):
    return TeamFactory(organisation=organisation, name="Riverside CAMHS")


@pytest.fixture
def other_team(organisation):
    return TeamFactory(organisation=organisation, name="Hillside CAMHS")


@pytest.fixture
def choice_clinician(team):
    membership = MembershipFactory(
        team=team,
        role=Role.CLINICIAN,
        user__username="sam.clinician",
        user__first_name="Sam",
        user__last_name="Clinician",
    )
    ClinicianProfileFactory(user=membership.user)
    return membership.user


@pytest.fixture
def clinician(choice_clinician):
    return choice_clinician


@pytest.fixture
def team_lead(team):
    membership = MembershipFactory(
        team=team, team_lead=True, user__username="lee.lead", user__first_name="Lee", user__last_name="Lead"
    )
    ClinicianProfileFactory(user=membership.user)
    return membership.user


@pytest.fixture
def admin(organisation):
    membership = AdminMembershipFactory(
        organisation=organisation, user__username="ada.admin", user__first_name="Ada", user__last_name="Admin"
    )
    return membership.user


@pytest.fixture
def outsider(other_team):
    membership = MembershipFactory(
        team=other_team, user__username="otto.outsider", user__first_name="Otto", user__last_name="Outsider"
    )
    ClinicianProfileFactory(user=membership.user)
    return membership.user


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps the test's own outcome on the item (`request.node.rep_call`), so that a fixture's teardown
    can show what a worker or server said when the test failed."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@pytest.fixture
def before_2027(time_machine):
    """The clock at 09:00 on 1 December 2026 (London), for tests written around 2027's bank
    holidays and clock changes: slots go in the future only, so without it they would start to
    fail once those days had passed. The clock keeps ticking from there."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    time_machine.move_to(datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Europe/London")))
