"""Reads for the planning pages, exports and commands: the only place planning joins and prefetches.

`team_planning` loads everything the capacity maths needs for any number of teams in a fixed
number of queries (so a team of 3 and a trust of 600 clinicians cost the same round trips);
`planning/figures.py` then turns it into figures without touching the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Membership, Role, Team, User
from planning.models import (
    Absence,
    JobPlan,
    JobPlanLine,
    PlanningSettings,
    PlanStatus,
    ReferralRate,
    SpecificStream,
)
from planning.quarters import Quarter


@dataclass
class TeamPlanning:
    """One team's planning inputs, as loaded: settings, streams, people, agreed plans, absences and
    referral rates."""

    team: Team
    settings: PlanningSettings
    streams: list[SpecificStream] = field(default_factory=list)
    members: list[Membership] = field(default_factory=list)  # people with a clinician profile
    agreed_plans: dict[int, list[JobPlan]] = field(default_factory=dict)  # newest quarter first
    absences: dict[int, list[Absence]] = field(default_factory=dict)
    referral_rates: list[ReferralRate] = field(default_factory=list)  # oldest quarter first
    referrals_by_week: dict[date, int] = field(default_factory=dict)  # cases referred, by week (Monday)
    today: date | None = None

    @property
    def start_month(self) -> int:
        return self.team.organisation.financial_year_start_month

    def quarter_containing(self, day) -> Quarter:
        return Quarter.containing(day, start_month=self.start_month)


def team_planning(teams: Iterable[Team], *, in_force_on: date | None = None) -> dict[int, TeamPlanning]:
    """Everything the capacity figures of these teams need, keyed by team id (8 queries).

    With `in_force_on`, only each clinician's plan in force on that day is loaded: enough for one
    quarter's figures, and far fewer rows for a whole trust."""
    teams = list(teams)
    team_ids = [team.pk for team in teams]
    # 1. Each team's settings; a team nobody has configured uses DOMAIN.md's defaults (unsaved).
    settings = {s.team_id: s for s in PlanningSettings.objects.filter(team_id__in=team_ids)}
    loaded = {
        team.pk: TeamPlanning(team=team, settings=settings.get(team.pk) or PlanningSettings(team=team))
        for team in teams
    }
    # 2. Specific streams.
    for stream in SpecificStream.objects.filter(team_id__in=team_ids, is_active=True).order_by("name"):
        loaded[stream.team_id].streams.append(stream)
    # 3. The people who do clinical work: members with a clinician profile, by name.
    for membership in (
        Membership.objects.filter(
            team_id__in=team_ids,
            role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            user__clinician_profile__isnull=False,
        )
        .select_related("user__clinician_profile")
        .order_by("user__last_name", "user__first_name", "pk")
    ):
        loaded[membership.team_id].members.append(membership)
    # 4 and 5. Agreed plans with their lines (superseded and draft versions never apply).
    plans = defaultdict(list)
    agreed = JobPlan.objects.filter(team_id__in=team_ids, status=PlanStatus.AGREED)
    if in_force_on is not None:
        agreed = agreed.filter(
            pk__in=agreed.filter(effective_from__lte=in_force_on)
            .order_by("team_id", "clinician_id", "-effective_from")
            .distinct("team_id", "clinician_id")
            .values("pk")
        )
    for plan in (
        agreed.select_related("agreed_by")
        .prefetch_related(
            Prefetch("lines", queryset=JobPlanLine.objects.select_related("specific_stream").order_by("pk"))
        )
        .order_by("-effective_from")
    ):
        plans[plan.team_id, plan.clinician_id].append(plan)
    # 6. Absences beyond normal leave.
    absences = defaultdict(list)
    for absence in Absence.objects.filter(team_id__in=team_ids).order_by("starts_on"):
        absences[absence.team_id, absence.clinician_id].append(absence)
    for (team_id, clinician_id), team_plans in plans.items():
        loaded[team_id].agreed_plans[clinician_id] = team_plans
    for (team_id, clinician_id), periods in absences.items():
        loaded[team_id].absences[clinician_id] = periods
    # 7. Accepted referrals a week, as entered per quarter.
    for rate in ReferralRate.objects.filter(team_id__in=team_ids).order_by("quarter_start"):
        loaded[rate.team_id].referral_rates.append(rate)
    # 8. Accepted referrals in the last two years, counted by the week they were referred: the
    # demand the team really had (a referral not accepted, or not yet screened, is not demand).
    today = timezone.localdate()
    Case = apps.get_model("partnership", "Case")  # noqa: N806  (by name: cases are counted, not used)
    weekly = (
        Case.objects.filter(
            team_id__in=team_ids, referral_date__gte=today - timedelta(weeks=104), accepted_on__isnull=False
        )
        .annotate(week=TruncWeek("referral_date"))
        .values("team_id", "week")
        .annotate(referred=Count("pk"))
    )
    for row in weekly:
        loaded[row["team_id"]].referrals_by_week[row["week"]] = row["referred"]
    for each in loaded.values():
        each.today = today
    return loaded


def one_team_planning(team: Team) -> TeamPlanning:
    return team_planning([team])[team.pk]


def plan_versions(*, clinician: User, team: Team) -> QuerySet[JobPlan]:
    """Every version of a clinician's plan in a team, newest first, with lines and who did what."""
    return (
        JobPlan.objects.filter(clinician=clinician, team=team)
        .select_related("created_by", "agreed_by")
        .prefetch_related(Prefetch("lines", queryset=JobPlanLine.objects.select_related("specific_stream")))
        .order_by("-version")
    )


def latest_plan(*, clinician: User, team: Team) -> JobPlan | None:
    return plan_versions(clinician=clinician, team=team).first()


def team_members_with_profiles(team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            team=team, role__in=[Role.CLINICIAN, Role.TEAM_LEAD], user__clinician_profile__isnull=False
        )
        .select_related("user__clinician_profile")
        .order_by("user__last_name", "user__first_name")
    )


def planning_settings(team: Team) -> PlanningSettings:
    """The team's settings, or DOMAIN.md's defaults (unsaved) if nobody has changed them."""
    return PlanningSettings.objects.filter(team=team).first() or PlanningSettings(team=team)
