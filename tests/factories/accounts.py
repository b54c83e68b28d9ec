from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import (
    ClinicianProfile,
    ClinicianSkill,
    Membership,
    Nation,
    Organisation,
    Profession,
    Role,
    Skill,
    SkillKind,
    SkillLevel,
    Team,
    User,
    Venue,
)

DEMO_PASSWORD = "a-long-test-password-42"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Northshire NHS Foundation Trust {n}")


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Riverside CAMHS {n}")
    nation = Nation.ENGLAND


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nhs.uk")
    password = factory.django.Password(DEMO_PASSWORD)


class MembershipFactory(DjangoModelFactory):
    """A team role; clinician by default. `MembershipFactory(team_lead=True)` for a lead."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.CLINICIAN

    class Params:
        team_lead = factory.Trait(role=Role.TEAM_LEAD)


class AdminMembershipFactory(DjangoModelFactory):
    """An organisation-wide admin, who also runs the Django admin site."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, is_staff=True, is_superuser=True)
    organisation = factory.SubFactory(OrganisationFactory)
    team = None
    role = Role.ADMIN


class SkillFactory(DjangoModelFactory):
    """An ABCD'S domain at core level by default; `SkillFactory(advanced_skill=True)` for EMDR etc."""

    class Meta:
        model = Skill
        django_get_or_create = ["organisation", "name", "level"]

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Iterator(["Assessment", "Behavioural", "Cognitive", "Dynamic", "Systemic"])
    kind = SkillKind.DOMAIN
    level = SkillLevel.CORE

    class Params:
        advanced_skill = factory.Trait(
            kind=SkillKind.ADVANCED_SKILL,
            level=SkillLevel.ADVANCED,
            name=factory.Iterator(["EMDR", "DBT", "Autism assessment", "Psychometrics"]),
        )


class ClinicianProfileFactory(DjangoModelFactory):
    class Meta:
        model = ClinicianProfile

    user = factory.SubFactory(UserFactory)
    profession = Profession.MENTAL_HEALTH_NURSE
    contracted_hours_per_week = Decimal("37.50")


class ClinicianSkillFactory(DjangoModelFactory):
    class Meta:
        model = ClinicianSkill

    profile = factory.SubFactory(ClinicianProfileFactory)
    skill = factory.SubFactory(SkillFactory)


class VenueFactory(DjangoModelFactory):
    class Meta:
        model = Venue

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Riverside Clinic {n}")
    address = "1 High Street, Northshire"
