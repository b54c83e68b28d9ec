"""Helpers that make a clinician with a whole job plan: a person, their place in a team, their
profile and an agreed plan whose lines add up to the contracted hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accounts.models import Role, User
from planning.models import Activity, JobPlan, SpecificStream
from tests.factories.accounts import ClinicianProfileFactory, MembershipFactory
from tests.factories.planning import JobPlanFactory, JobPlanLineFactory


def clinician_in(team, *, contracted: str = "37.5", role: str = Role.CLINICIAN, **user) -> User:
    """A clinician (or lead) of the team with a profile; `user` sets username, first_name..."""
    membership = MembershipFactory(
        team=team, role=role, **{f"user__{key}": value for key, value in user.items()}
    )
    ClinicianProfileFactory(user=membership.user, contracted_hours_per_week=Decimal(contracted))
    return membership.user


def agreed_plan_for(
    clinician: User,
    team,
    *,
    effective_from: date,
    hours: dict[str, str],
    streams: dict[SpecificStream, str] | None = None,
    agreed: bool = True,
) -> JobPlan:
    """The clinician's next plan version, agreed, with `hours` by activity value ({"core": "10.5"})
    and Specific hours by stream. Empty and zero hours make no line, as `save_plan` does."""
    plan = JobPlanFactory(
        clinician=clinician,
        team=team,
        agreed=agreed,
        effective_from=effective_from,
        version=JobPlan.objects.filter(clinician=clinician, team=team).count() + 1,
    )
    for activity, value in hours.items():
        if value and Decimal(value):
            JobPlanLineFactory(plan=plan, activity=activity, hours_per_week=Decimal(value))
    for stream, value in (streams or {}).items():
        JobPlanLineFactory(
            plan=plan, activity=Activity.SPECIFIC, specific_stream=stream, hours_per_week=Decimal(value)
        )
    return plan
