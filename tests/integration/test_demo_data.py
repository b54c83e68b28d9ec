from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD, seed_demo
from accounts.models import ClinicianProfile, ClinicianSkill, Membership, Role, Skill, Team, User, Venue

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "users": sorted(User.objects.values_list("username", "first_name", "last_name", "is_staff")),
        "teams": sorted(Team.objects.values_list("name", "nation")),
        "memberships": sorted(Membership.objects.values_list("user__username", "role", "team__name")),
        "profiles": sorted(
            ClinicianProfile.objects.values_list("user__username", "profession", "contracted_hours_per_week")
        ),
        "skills": sorted(
            ClinicianSkill.objects.values_list("profile__user__username", "skill__name", "skill__level")
        ),
        "venues": sorted(Venue.objects.values_list("team__name", "name")),
    }


def test_the_demo_trust_is_believable():
    logins = seed_demo()
    assert Team.objects.count() == 3
    assert 25 <= ClinicianProfile.objects.count() <= 30
    assert Venue.objects.count() >= 6
    assert {login.role for login in logins} >= {"Team lead", "Clinician", "Clinician (another team)"}
    assert Membership.objects.filter(role=Role.ADMIN).count() == 1
    assert Membership.objects.filter(role=Role.TEAM_LEAD).count() == 3
    assert set(Skill.objects.values_list("name", flat=True)) >= {
        "Assessment",
        "Behavioural",
        "Cognitive",
        "Dynamic",
        "Systemic",
        "EMDR",
        "DBT",
        "Autism assessment",
        "Psychometrics",
        "Systemic family therapy",
        "Prescribing",
    }
    assert len(set(ClinicianProfile.objects.values_list("profession", flat=True))) >= 6
    assert len(set(ClinicianProfile.objects.values_list("contracted_hours_per_week", flat=True))) >= 2
    for login in logins:
        assert User.objects.get(username=login.username).check_password(DEMO_PASSWORD)


def test_seeding_twice_changes_nothing_and_keeps_a_changed_password(capsys):
    call_command("seed_demo")
    first = snapshot()
    lead = User.objects.get(username="priya.shah")
    lead.set_password("her-own-new-password-1")
    lead.save()

    call_command("seed_demo")
    assert snapshot() == first
    assert User.objects.get(username="priya.shah").check_password("her-own-new-password-1")
    assert "priya.shah" in capsys.readouterr().out
