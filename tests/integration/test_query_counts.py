"""List pages run the same number of queries for 3 rows as for 30: no N+1 in a template."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ClinicianProfileFactory,
    ClinicianSkillFactory,
    MembershipFactory,
    SkillFactory,
    TeamFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_clinicians(team, count: int) -> None:
    skills = [SkillFactory(organisation=team.organisation, name=n) for n in ("Cognitive", "Systemic")]
    for _ in range(count):
        membership = MembershipFactory(team=team)
        profile = ClinicianProfileFactory(user=membership.user)
        for skill in skills:
            ClinicianSkillFactory(profile=profile, skill=skill)
        VenueFactory(team=team)


def test_team_page_queries_do_not_grow_with_the_team(client, team, team_lead):
    client.force_login(team_lead)
    url = reverse("accounts:team-detail", args=[team.pk])
    add_clinicians(team, 3)
    with_3 = queries_for(client, url)
    add_clinicians(team, 27)
    # session, user, the team, the user's roles (who may do what), members with profiles, their
    # skills, the user's memberships with teams and profile (nav), venues, and the session's new
    # expiry (savepoint, update, release): the same for 3 or 30.
    assert queries_for(client, url) == with_3
    assert with_3 == 11


def test_team_list_queries_do_not_grow_with_the_trust(client, admin, organisation):
    client.force_login(admin)
    url = reverse("accounts:team-list")
    for _ in range(3):
        add_clinicians(TeamFactory(organisation=organisation), 1)
    with_3 = queries_for(client, url)
    for _ in range(27):
        add_clinicians(TeamFactory(organisation=organisation), 1)
    # session, user, roles, teams with counts, their leads, and the session's new expiry.
    assert queries_for(client, url) == with_3
    assert with_3 <= 9
