"""Job planning for the demo trust (`accounts/demo.py`): settings, Specific streams, agreed job
plans, referral rates and one absence, so the capacity pages have something true to show.

Riverside and Hillside are in balance; Coastal is deliberately not: its referrals have risen and
its plans still give most clinical time to Choice, duty and Specific work, so families will wait
after Choice for Core Partnership. Hillside has a maternity leave starting part-way through next
quarter, so absence scaling shows.

Deterministic and idempotent like `accounts.demo`: rows are found by their natural keys, and a
plan is only saved (as a new version, then agreed) when the demo week differs from the agreed
plan already in force from the start of the financial year. `save_plan` and `agree_plan` are
durable transactions, so there is no transaction around the whole: each write is safe to repeat,
and a run stopped half-way is finished by the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pghistory
from django.db import transaction

from accounts.demo import ORGANISATION_NAME, TEAMS, username_for
from accounts.models import Organisation, Team, User
from planning import job_plans, referrals
from planning.figures import TeamQuarter, team_quarter
from planning.models import (
    Absence,
    AbsenceKind,
    Activity,
    Allocation,
    ChoicePattern,
    JobPlan,
    PlanningSettings,
    PlanStatus,
    ReferralRate,
    SpecificStream,
)
from planning.quarters import Quarter
from planning.queries import one_team_planning

FULL_TIME_HOURS = Decimal("37.5")
HALF_HOUR = Decimal("0.5")
# A "one a week" Choice is a single appointment of up to 90 minutes.
ONE_CHOICE_A_WEEK = Decimal("1.5")


@dataclass(frozen=True)
class DemoStream:
    name: str
    average_appointments: Decimal
    appointments_per_session: Decimal
    review_interval_weeks: int
    skills: tuple[str, ...]  # the advanced skills (accounts.demo.ADVANCED_SKILLS) that qualify for it
    allocation: str = Allocation.ROTA


PSYCHOTHERAPY = DemoStream(
    "Weekly psychotherapy", Decimal("45"), Decimal("1"), 26, skills=("Psychodynamic psychotherapy",)
)
# No demo clinician holds the eating-disorder skill itself; the psychiatrists run the clinic.
EATING_DISORDERS = DemoStream(
    "Eating disorders", Decimal("20"), Decimal("2"), 13, skills=("Eating disorders", "Prescribing")
)
# One assessment appointment (ADOS, ADI-R) fills a session; families book into the clinic's diary.
AUTISM = DemoStream(
    "Autism assessment",
    Decimal("4"),
    Decimal("1"),
    12,
    skills=("Autism assessment",),
    allocation=Allocation.DIARY,
)
# Sessions with a reflecting team, one family a session.
FAMILY_THERAPY = DemoStream(
    "Family therapy", Decimal("10"), Decimal("1"), 12, skills=("Systemic family therapy",)
)


@dataclass(frozen=True)
class DemoWeek:
    """A clinician's hours a week that the team decides: Choice, Core, Specific (by stream name),
    management and other (duty and liaison). The team meeting, supervision, CPD and travel follow
    from contracted hours (`_routine_hours`); what is left is big admin."""

    core: str
    choice: str = "0"
    choice_pattern: str = ChoicePattern.SESSIONS
    specific: dict[str, str] = field(default_factory=dict)
    management: str = "0"
    other: str = "0"

    @property
    def notes(self) -> str:
        return "Other is duty and liaison with schools and primary care." if Decimal(self.other) else ""


def _weekly_choice(core: str, **kwargs) -> DemoWeek:
    return DemoWeek(
        core=core, choice=str(ONE_CHOICE_A_WEEK), choice_pattern=ChoicePattern.ONE_A_WEEK, **kwargs
    )


@dataclass(frozen=True)
class DemoTeamPlanning:
    streams: list[DemoStream]
    travel_full_time: Decimal  # hours a week a full-time clinician spends travelling
    referrals_per_week: tuple[Decimal, Decimal]  # this quarter, next quarter
    weeks: dict[str, DemoWeek]  # by username; a demo clinician missing here is an error


# Contracted hours come from accounts/demo.py (37.5, 22.5 or 15 for these people); every week
# below leaves 1 to 6.5 hours of big admin once the routine hours are added.
PLANNING = {
    # 101.5 Core hours a week: 87 new Core Partnerships a quarter against 10 referrals a week, 8.7.
    "Riverside CAMHS": DemoTeamPlanning(
        streams=[AUTISM, EATING_DISORDERS, PSYCHOTHERAPY],
        travel_full_time=Decimal("1"),
        referrals_per_week=(Decimal("10"), Decimal("10.25")),
        weeks={
            "priya.shah": DemoWeek(core="7", specific={AUTISM.name: "3.5"}, management="14"),
            "tom.baker": DemoWeek(choice="3.5", core="7"),
            "aisha.rahman": DemoWeek(choice="3.5", core="10.5", specific={AUTISM.name: "10.5"}),
            "owen.jones": DemoWeek(core="10.5"),
            "hannah.clarke": DemoWeek(choice="3.5", core="7"),
            "ben.walsh": DemoWeek(core="7", specific={EATING_DISORDERS.name: "7"}, other="2"),
            "chloe.evans": DemoWeek(choice="7", core="14", other="3.5"),
            "daniel.murphy": DemoWeek(core="14", specific={AUTISM.name: "10.5"}),
            "ruth.adeyemi": DemoWeek(core="10.5", specific={PSYCHOTHERAPY.name: "14"}),
            "sophie.turner": _weekly_choice(core="14"),
        },
    ),
    # 89.5 Core hours: 76.7 a quarter against 8.75 referrals, 8.8; Megan Price's maternity leave
    # takes it to about 8.4 next quarter, against 8.5 referrals, and below 8 after that (no cover yet).
    "Hillside CAMHS": DemoTeamPlanning(
        streams=[AUTISM, EATING_DISORDERS, FAMILY_THERAPY],
        travel_full_time=Decimal("1.5"),
        referrals_per_week=(Decimal("8.75"), Decimal("8.5")),
        weeks={
            "mark.ellis": DemoWeek(core="7", specific={FAMILY_THERAPY.name: "3.5"}, management="7"),
            "grace.okafor": DemoWeek(choice="3.5", core="14", other="7"),
            "james.hughes": DemoWeek(choice="3.5", core="10.5", specific={AUTISM.name: "10.5"}),
            "fatima.begum": DemoWeek(core="10.5", specific={EATING_DISORDERS.name: "10.5"}, other="3.5"),
            "lewis.grant": DemoWeek(choice="3.5", core="7"),
            "megan.price": DemoWeek(choice="3.5", core="14", other="7"),
            "nathan.cole": _weekly_choice(core="9"),
            "olivia.reid": DemoWeek(core="10.5", specific={FAMILY_THERAPY.name: "14"}),
            "zara.hussain": _weekly_choice(core="7", specific={AUTISM.name: "7"}),
        },
    ),
    # Out of balance on purpose: 66.5 Core hours give 57 a quarter against 9.25 referrals, 6.2,
    # while Choice has room for 14 families a week: they will be seen quickly, then wait.
    "Coastal CAMHS": DemoTeamPlanning(
        streams=[AUTISM, EATING_DISORDERS, PSYCHOTHERAPY],
        travel_full_time=Decimal("3"),  # a rural patch
        referrals_per_week=(Decimal("9.25"), Decimal("9.75")),
        weeks={
            "helen.morris": DemoWeek(core="7", management="14", other="3.5"),
            "adam.fletcher": DemoWeek(choice="3.5", core="7", specific={AUTISM.name: "14"}),
            "bethan.lloyd": DemoWeek(choice="3.5", core="7", other="3.5"),
            "callum.reilly": DemoWeek(core="7", specific={EATING_DISORDERS.name: "10.5"}, other="7"),
            "deborah.okoro": DemoWeek(core="7", specific={PSYCHOTHERAPY.name: "3.5"}),
            "ella.fraser": DemoWeek(choice="7", core="10.5", other="7"),
            "finn.taylor": DemoWeek(choice="3.5", core="7"),
            "imogen.west": DemoWeek(choice="3.5", core="7", other="3.5"),
            "kwame.mensah": DemoWeek(choice="3.5", core="7"),
        },
    ),
}

MATERNITY_LEAVE = "megan.price"
MATERNITY_STARTS_AFTER = timedelta(weeks=7)  # into next quarter
MATERNITY_LENGTH = timedelta(weeks=39)


def seed_planning_demo(*, today: date) -> None:
    """Create or bring up to date the demo trust's job planning for the quarter containing `today`
    and the next. Run `accounts.demo.seed_demo` first: this finds its teams and people by name."""
    organisation = Organisation.objects.get(name=ORGANISATION_NAME)
    current = Quarter.containing(today, start_month=organisation.financial_year_start_month)
    year_start = Quarter(current.year, 1, current.start_month).start
    with pghistory.context(command="seed_demo"):
        for demo_team in TEAMS:
            team = Team.objects.get(organisation=organisation, name=demo_team.name)
            planning = PLANNING[team.name]
            lead = User.objects.get(username=username_for(*demo_team.lead[:2]))
            streams = _seed_team(team, planning, next_quarter=current.next())
            # Four quarters entered, so the what-if's projection uses the lead's figures rather than
            # ones computed from the demo's few cases (an entered figure overrides the computed one).
            rates = [*planning.referrals_per_week, *[planning.referrals_per_week[-1]] * 2]
            for quarter, per_week in zip(current.following(4), rates, strict=True):
                _seed_referral_rate(team, quarter=quarter, per_week=per_week, by=lead)
            for first_name, last_name, _ in [demo_team.lead, *demo_team.clinicians]:
                clinician = User.objects.select_related("clinician_profile").get(
                    username=username_for(first_name, last_name)
                )
                _seed_plan(clinician, team, planning, streams=streams, effective_from=year_start, by=lead)


def demo_balances(*, today: date) -> list[tuple[Team, TeamQuarter]]:
    """Each demo team with its figures for the quarter containing `today`."""
    organisation = Organisation.objects.get(name=ORGANISATION_NAME)
    current = Quarter.containing(today, start_month=organisation.financial_year_start_month)
    teams = Team.objects.select_related("organisation").filter(
        organisation=organisation, name__in=[demo_team.name for demo_team in TEAMS]
    )
    by_name = {team.name: team for team in teams}
    return [
        (by_name[demo_team.name], team_quarter(one_team_planning(by_name[demo_team.name]), current))
        for demo_team in TEAMS
    ]


@transaction.atomic
def _seed_team(team: Team, planning: DemoTeamPlanning, *, next_quarter: Quarter) -> dict[str, SpecificStream]:
    # Settings a lead has changed since are theirs to keep: create with the defaults only.
    PlanningSettings.objects.get_or_create(team=team)
    streams = {}
    for demo_stream in planning.streams:
        streams[demo_stream.name], _ = SpecificStream.objects.update_or_create(
            team=team,
            name=demo_stream.name,
            defaults={
                "average_appointments": demo_stream.average_appointments,
                "appointments_per_session": demo_stream.appointments_per_session,
                "review_interval_weeks": demo_stream.review_interval_weeks,
                "allocation": demo_stream.allocation,
                "is_active": True,
            },
        )
    if MATERNITY_LEAVE in planning.weeks:
        starts_on = next_quarter.start + MATERNITY_STARTS_AFTER
        Absence.objects.update_or_create(
            clinician=User.objects.get(username=MATERNITY_LEAVE),
            team=team,
            kind=AbsenceKind.MATERNITY,
            defaults={
                "starts_on": starts_on,
                "ends_on": starts_on + MATERNITY_LENGTH - timedelta(days=1),
                "notes": "Maternity leave; cover is being sought.",
            },
        )
    return streams


def _seed_referral_rate(team: Team, *, quarter: Quarter, per_week: Decimal, by: User) -> None:
    entered = ReferralRate.objects.filter(team=team, quarter_start=quarter.start).first()
    # Setting a rate stamps `entered_at`, so only a figure that differs is set: a rerun writes nothing.
    if entered is None or (entered.referrals_per_week, entered.entered_by_id) != (per_week, by.pk):
        referrals.set_referral_rate(
            team=team, quarter_start=quarter.start, referrals_per_week=per_week, by=by
        )


def _seed_plan(
    clinician: User,
    team: Team,
    planning: DemoTeamPlanning,
    *,
    streams: dict[str, SpecificStream],
    effective_from: date,
    by: User,
) -> None:
    """Agree the demo week as the clinician's plan from `effective_from`, unless it already is."""
    try:
        week = planning.weeks[clinician.username]
    except KeyError:
        raise LookupError(f"{clinician.username} is in the demo {team} but has no demo week") from None
    hours = demo_plan_hours(
        week,
        contracted=clinician.clinician_profile.contracted_hours_per_week,
        travel_full_time=planning.travel_full_time,
        streams=streams,
        who=clinician.username,
    )
    agreed = JobPlan.objects.filter(
        clinician=clinician, team=team, effective_from=effective_from, status=PlanStatus.AGREED
    ).first()
    if agreed is not None and _is_the_same(agreed, hours=hours, week=week, effective_from=effective_from):
        return
    latest = JobPlan.objects.filter(clinician=clinician, team=team).order_by("-version").first()
    if (
        latest is not None
        and latest.status == PlanStatus.DRAFT
        and _is_the_same(latest, hours=hours, week=week, effective_from=effective_from)
    ):
        plan = latest  # saved but not agreed when an earlier run was stopped
    else:
        plan = job_plans.save_plan(
            clinician=clinician,
            team=team,
            effective_from=effective_from,
            hours=hours,
            choice_pattern=week.choice_pattern,
            notes=week.notes,
            by=by,
        )
    job_plans.agree_plan(plan=plan, by=by)


def _is_the_same(plan: JobPlan, *, hours: job_plans.PlanHours, week: DemoWeek, effective_from: date) -> bool:
    return (
        plan.effective_from == effective_from
        and plan.choice_pattern == week.choice_pattern
        and plan.notes == week.notes
        and job_plans.plan_hours(plan) == hours
    )


def demo_plan_hours(
    week: DemoWeek,
    *,
    contracted: Decimal,
    travel_full_time: Decimal,
    streams: dict[str, SpecificStream],
    who: str,
) -> job_plans.PlanHours:
    """The whole week in the shape `save_plan` takes, adding up to `contracted` exactly."""
    hours: job_plans.PlanHours = {
        (Activity.CHOICE, None): Decimal(week.choice),
        (Activity.CORE, None): Decimal(week.core),
        (Activity.MANAGEMENT, None): Decimal(week.management),
        (Activity.OTHER, None): Decimal(week.other),
        **_routine_hours(contracted=contracted, travel_full_time=travel_full_time),
    }
    for name, stream_hours in week.specific.items():
        hours[Activity.SPECIFIC, streams[name].pk] = Decimal(stream_hours)
    admin = contracted - sum(hours.values(), Decimal(0))
    if admin < 0:
        raise ValueError(
            f"The demo week of {who} is {-admin} hours longer than their {contracted} contracted"
        )
    hours[Activity.BIG_ADMIN, None] = admin
    return {line: value for line, value in hours.items() if value > 0}  # as saved: no empty lines


def _routine_hours(*, contracted: Decimal, travel_full_time: Decimal) -> job_plans.PlanHours:
    """A full-time week's team meeting (2 h), supervision (1.5 h), CPD (2 h) and travel, pro rata
    to the nearest half hour (never less than half an hour of each but travel)."""
    full_time = {
        Activity.TEAM_MEETING: Decimal("2"),
        Activity.SUPERVISION: Decimal("1.5"),
        Activity.CPD_RESEARCH: Decimal("2"),
    }
    routine = {
        (activity, None): max(_pro_rata(value, contracted), HALF_HOUR)
        for activity, value in full_time.items()
    }
    routine[Activity.TRAVEL, None] = _pro_rata(travel_full_time, contracted)
    return routine


def _pro_rata(full_time: Decimal, contracted: Decimal) -> Decimal:
    halves = (full_time * contracted / FULL_TIME_HOURS / HALF_HOUR).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return halves * HALF_HOUR
