"""Writing job plans: new versions, sign-off, starting from last quarter's plan.

Every function is one transaction and takes the actor as `by=`. A saved change is always a new
version; nothing here edits or deletes an old one, so the plan that applied to any quarter can be
read back later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Team, User
from planning.models import HOURS_IN_A_WEEK, ChoicePattern, JobPlan, JobPlanLine, PlanStatus

MESSAGES = {
    "does_not_add_up": "The plan adds up to {total} hours a week, but {name} is contracted for {contracted}. "
    "Change the hours so they add up to {contracted}.",
    "negative": "Hours cannot be negative.",
    "absurd": "Hours must be {limit} or fewer: there are {limit} hours in a week.",
    "already_agreed": "This plan is already agreed.",
    "superseded": "A newer version of this plan exists: agree that one instead.",
    "agreed_elsewhere": "Another plan from the same quarter was agreed at the same moment. Reload the page.",
}

# (activity, Specific stream id or None) -> hours a week
PlanHours = dict[tuple[str, int | None], Decimal]


class PlanError(Exception):
    """A plan that cannot be saved or agreed, with a message to show next to what is wrong."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class PlanProblem:
    field: str | None
    message: str


def plan_problems(*, hours: PlanHours, contracted_hours: Decimal, clinician_name: str) -> list[PlanProblem]:
    """Everything wrong with a week of hours: each negative or impossible figure by its line, and
    a total that differs from the contracted hours. An empty list means the plan adds up."""
    problems = []
    for (activity, stream), value in hours.items():
        field = line_field_name(activity, stream)
        if value < 0:
            problems.append(PlanProblem(field, MESSAGES["negative"]))
        elif value > HOURS_IN_A_WEEK:
            problems.append(PlanProblem(field, MESSAGES["absurd"].format(limit=HOURS_IN_A_WEEK)))
    if problems:
        return problems
    total = sum(hours.values(), Decimal(0))
    if total != contracted_hours:
        problems.append(
            PlanProblem(
                None,
                MESSAGES["does_not_add_up"].format(
                    total=_hours(total), name=clinician_name, contracted=_hours(contracted_hours)
                ),
            )
        )
    return problems


def line_field_name(activity: str, stream: int | None) -> str:
    """The form field that holds one line's hours: `hours_core`, `hours_specific_3`."""
    return f"hours_{activity}" if stream is None else f"hours_{activity}_{stream}"


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


@transaction.atomic(durable=True)
def save_plan(
    *,
    clinician: User,
    team: Team,
    effective_from: date,
    hours: PlanHours,
    choice_pattern: str = ChoicePattern.SESSIONS,
    notes: str = "",
    by: User,
) -> JobPlan:
    """Save a week of hours as the clinician's next plan version, as a draft.

    Raises PlanError if the plan has a negative or impossible figure or does not add up to the
    contracted hours; then nothing is written.
    """
    profile = clinician.clinician_profile
    problems = plan_problems(
        hours=hours, contracted_hours=profile.contracted_hours_per_week, clinician_name=str(clinician)
    )
    if problems:
        raise PlanError(problems[0].message, field=problems[0].field)
    # Lock the clinician's row so two leads saving at once get consecutive version numbers.
    User.objects.select_for_update().filter(pk=clinician.pk).get()
    latest = JobPlan.objects.filter(clinician=clinician, team=team).aggregate(latest=Max("version"))["latest"]
    plan = JobPlan.objects.create(
        clinician=clinician,
        team=team,
        version=(latest or 0) + 1,
        effective_from=effective_from,
        choice_pattern=choice_pattern,
        notes=notes,
        created_by=by,
    )
    JobPlanLine.objects.bulk_create(
        JobPlanLine(plan=plan, activity=activity, specific_stream_id=stream, hours_per_week=value)
        for (activity, stream), value in hours.items()
        if value > 0
    )
    return plan


@transaction.atomic(durable=True)
def agree_plan(*, plan: JobPlan, by: User) -> JobPlan:
    """Sign a draft off: it becomes the plan in force from its quarter, and an earlier agreed
    plan from the same quarter is superseded. Raises PlanError if it is not the latest draft."""
    plan = JobPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.AGREED:
        raise PlanError(MESSAGES["already_agreed"])
    newer = JobPlan.objects.filter(clinician=plan.clinician, team=plan.team, version__gt=plan.version)
    if plan.status == PlanStatus.SUPERSEDED or newer.exists():
        raise PlanError(MESSAGES["superseded"])
    now = timezone.now()
    JobPlan.objects.filter(
        clinician=plan.clinician, team=plan.team, effective_from=plan.effective_from, status=PlanStatus.AGREED
    ).update(status=PlanStatus.SUPERSEDED)
    plan.status, plan.agreed_by, plan.agreed_at = PlanStatus.AGREED, by, now
    try:
        with transaction.atomic():  # a savepoint: the unique constraint decides a race
            plan.save(update_fields=["status", "agreed_by", "agreed_at"])
    except IntegrityError:
        raise PlanError(MESSAGES["agreed_elsewhere"]) from None
    return plan


def plan_hours(plan: JobPlan) -> PlanHours:
    """A saved plan's week, in the shape `save_plan` takes (for "start from last quarter's plan")."""
    return {(line.activity, line.specific_stream_id): line.hours_per_week for line in plan.lines.all()}


def plan_in_force(*, clinician: User, team: Team, quarter_start: date) -> JobPlan | None:
    """The agreed plan that applies to the quarter starting on `quarter_start`, if any."""
    return (
        JobPlan.objects.filter(
            clinician=clinician, team=team, status=PlanStatus.AGREED, effective_from__lte=quarter_start
        )
        .order_by("-effective_from")
        .first()
    )
