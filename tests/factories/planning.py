from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from planning.models import (
    Absence,
    AbsenceKind,
    Activity,
    JobPlan,
    JobPlanLine,
    PlanningSettings,
    PlanStatus,
    ReferralRate,
    SpecificStream,
)
from tests.factories.accounts import MembershipFactory, TeamFactory, UserFactory


class PlanningSettingsFactory(DjangoModelFactory):
    class Meta:
        model = PlanningSettings
        django_get_or_create = ["team"]

    team = factory.SubFactory(TeamFactory)


class SpecificStreamFactory(DjangoModelFactory):
    class Meta:
        model = SpecificStream

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Weekly psychotherapy {n}")
    average_appointments = Decimal("45")
    appointments_per_session = Decimal("1")
    review_interval_weeks = 26


class JobPlanFactory(DjangoModelFactory):
    """A clinician's plan in their own team, from the quarter starting 1 January 2027.

    `JobPlanFactory(agreed=True)` for an agreed one, signed off by the team's lead."""

    class Meta:
        model = JobPlan

    team = factory.SubFactory(TeamFactory)
    clinician = factory.LazyAttribute(lambda plan: MembershipFactory(team=plan.team).user)
    version = factory.Sequence(lambda n: n + 1)
    effective_from = date(2027, 1, 1)
    status = PlanStatus.DRAFT
    created_by = factory.LazyAttribute(lambda plan: plan.clinician)

    class Params:
        agreed = factory.Trait(
            status=PlanStatus.AGREED,
            agreed_by=factory.LazyAttribute(
                lambda plan: MembershipFactory(team=plan.team, team_lead=True).user
            ),
            agreed_at=factory.LazyFunction(timezone.now),
        )


class JobPlanLineFactory(DjangoModelFactory):
    class Meta:
        model = JobPlanLine

    plan = factory.SubFactory(JobPlanFactory)
    activity = Activity.CORE
    hours_per_week = Decimal("10.5")


class AbsenceFactory(DjangoModelFactory):
    class Meta:
        model = Absence

    team = factory.SubFactory(TeamFactory)
    clinician = factory.LazyAttribute(lambda absence: MembershipFactory(team=absence.team).user)
    kind = AbsenceKind.MATERNITY
    starts_on = date(2027, 2, 1)
    ends_on = date(2027, 10, 31)


class ReferralRateFactory(DjangoModelFactory):
    class Meta:
        model = ReferralRate

    team = factory.SubFactory(TeamFactory)
    quarter_start = date(2027, 1, 1)
    referrals_per_week = Decimal("10")
    entered_by = factory.SubFactory(UserFactory)
