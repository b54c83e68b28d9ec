"""Every database constraint refuses a write that goes around the model layer.

Each test writes with `QuerySet.update`, `bulk_create` or raw SQL, so no form or model validation
can stop the bad row first: only the database can. A last test checks that every constraint
declared on a capa model has a test here, so a new constraint cannot arrive untested.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from accounts.models import (
    ClinicianProfile,
    ClinicianSkill,
    Membership,
    Organisation,
    Role,
    Skill,
    SkillKind,
    SkillLevel,
    Team,
    Venue,
)
from tests.constraints import TESTED, assert_refused, refuses
from tests.factories import (
    AdminMembershipFactory,
    ClinicianProfileFactory,
    ClinicianSkillFactory,
    MembershipFactory,
    OrganisationFactory,
    SkillFactory,
    TeamFactory,
    UserFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


@refuses("organisation_year_starts_in_a_real_month")
def test_a_financial_year_cannot_start_in_month_13():
    organisation = OrganisationFactory()
    assert_refused(
        "organisation_year_starts_in_a_real_month",
        lambda: Organisation.objects.filter(pk=organisation.pk).update(financial_year_start_month=13),
    )


@refuses("team_name_unique_in_organisation")
def test_two_teams_of_one_trust_cannot_share_a_name():
    team = TeamFactory(name="Riverside CAMHS")
    assert_refused(
        "team_name_unique_in_organisation",
        lambda: Team.objects.bulk_create([Team(organisation=team.organisation, name="Riverside CAMHS")]),
    )


@refuses("team_nation_is_a_uk_nation")
def test_a_team_keeps_the_bank_holidays_of_a_uk_nation_only():
    team = TeamFactory()
    assert_refused("team_nation_is_a_uk_nation", lambda: Team.objects.filter(pk=team.pk).update(nation="FRA"))


@refuses("membership_team_role_has_team_admin_has_organisation")
def test_a_team_role_needs_a_team_and_an_admin_role_an_organisation():
    membership = MembershipFactory()
    admin_membership = AdminMembershipFactory()
    check = "membership_team_role_has_team_admin_has_organisation"
    assert_refused(check, lambda: Membership.objects.filter(pk=membership.pk).update(team=None))
    assert_refused(
        check,
        lambda: Membership.objects.filter(pk=membership.pk).update(organisation=membership.team.organisation),
    )
    assert_refused(
        check, lambda: Membership.objects.filter(pk=admin_membership.pk).update(role=Role.CLINICIAN)
    )
    assert_refused(check, lambda: Membership.objects.filter(pk=membership.pk).update(role="owner"))


@refuses("membership_one_role_per_team")
def test_a_person_holds_one_role_per_team():
    membership = MembershipFactory()
    assert_refused(
        "membership_one_role_per_team",
        lambda: Membership.objects.bulk_create(
            [Membership(user=membership.user, team=membership.team, role=Role.TEAM_LEAD)]
        ),
    )


@refuses("membership_one_admin_role_per_organisation")
def test_a_person_is_admin_of_an_organisation_once():
    membership = AdminMembershipFactory()
    assert_refused(
        "membership_one_admin_role_per_organisation",
        lambda: Membership.objects.bulk_create(
            [Membership(user=membership.user, organisation=membership.organisation, role=Role.ADMIN)]
        ),
    )


@refuses("skill_unique_in_catalogue")
def test_the_catalogue_lists_a_skill_at_a_level_once():
    skill = SkillFactory(name="Cognitive", level=SkillLevel.CORE)
    assert_refused(
        "skill_unique_in_catalogue",
        lambda: Skill.objects.bulk_create(
            [
                Skill(
                    organisation=skill.organisation,
                    name="Cognitive",
                    level=SkillLevel.CORE,
                    kind=SkillKind.DOMAIN,
                )
            ]
        ),
    )


@refuses("skill_advanced_skills_are_at_advanced_level")
def test_an_advanced_skill_such_as_emdr_has_no_core_level():
    skill = SkillFactory(advanced_skill=True, name="EMDR")
    assert_refused(
        "skill_advanced_skills_are_at_advanced_level",
        lambda: Skill.objects.filter(pk=skill.pk).update(level=SkillLevel.CORE),
    )


@refuses("clinician_contracted_hours_fit_in_a_week")
def test_contracted_hours_are_positive_and_fit_in_a_week():
    profile = ClinicianProfileFactory()
    for hours in (Decimal("0"), Decimal("-1"), Decimal("168.5")):
        assert_refused(
            "clinician_contracted_hours_fit_in_a_week",
            lambda hours=hours: ClinicianProfile.objects.filter(pk=profile.pk).update(
                contracted_hours_per_week=hours
            ),
        )
    assert ClinicianProfile.objects.get(pk=profile.pk).contracted_hours_per_week == Decimal("37.50")


@refuses("clinician_skill_listed_once")
def test_a_clinician_holds_a_skill_once():
    held = ClinicianSkillFactory()
    assert_refused(
        "clinician_skill_listed_once",
        lambda: ClinicianSkill.objects.bulk_create([ClinicianSkill(profile=held.profile, skill=held.skill)]),
    )


@refuses("venue_name_unique_in_team")
def test_a_team_names_each_venue_once():
    venue = VenueFactory(name="Riverside Clinic")
    with (
        connection.cursor() as cursor,
        pytest.raises(IntegrityError, match="venue_name_unique_in_team"),
        transaction.atomic(),
    ):
        cursor.execute(
            "INSERT INTO accounts_venue (team_id, name, address, is_active) VALUES (%s, %s, '', true)",
            [venue.team_id, "Riverside Clinic"],
        )
    assert Venue.objects.filter(team=venue.team).count() == 1


def test_the_same_names_are_fine_in_different_teams_and_trusts():
    """The uniqueness rules are scoped, not global: a control for the tests above."""
    first, second = TeamFactory(), TeamFactory()
    VenueFactory(team=first, name="Town Hall")
    VenueFactory(team=second, name="Town Hall")
    TeamFactory(organisation=second.organisation, name=first.name)
    user = UserFactory()
    MembershipFactory(user=user, team=first)
    MembershipFactory(user=user, team=second, team_lead=True)
    assert Membership.objects.filter(user=user).count() == 2


def test_every_constraint_on_a_capa_model_has_a_test_that_writes_around_the_model():
    # Import every module of constraint tests, so this test is complete when run on its own.
    import tests.integration.test_case_constraints  # noqa: F401
    import tests.integration.test_dashboard_summary  # noqa: F401
    import tests.integration.test_diary_constraints  # noqa: F401
    import tests.integration.test_planning_constraints  # noqa: F401

    declared = {
        constraint.name
        for app in ("accounts", "planning", "diary", "partnership", "dashboard")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }
    assert declared - TESTED.keys() == set(), "constraints without a test"
    assert TESTED.keys() - declared == set(), "tests naming a constraint that does not exist"
