"""Job plans and the settings that turn them into targets. The maths is in `capacity.py`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Team
from capa.audit import audited

HOURS_IN_A_WEEK = 168


def _positive(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))], **kwargs
    )


@audited()
class PlanningSettings(models.Model):
    """Every constant of the CAPA maths for one team, with the published defaults."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="planning_settings")
    hours_per_session = _positive(default=Decimal("3.5"), help_text="A session is a half-day.")
    appointments_per_session = _positive(
        default=Decimal("2"), help_text="Clinical appointments in a Core Partnership session."
    )
    working_weeks_per_year = _positive(
        default=Decimal("45"), help_text="Weeks worked after annual and study leave and bank holidays."
    )
    core_average_appointments = _positive(
        default=Decimal("7.5"), help_text="Average appointments in a Core Partnership case."
    )
    transfer_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.66"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Share of Choice appointments that go on to Core Partnership.",
    )
    choice_appointments_per_session = _positive(
        default=Decimal("2"), help_text="A Choice appointment takes up to 90 minutes."
    )
    choice_leave_allowance = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Choice lost to leave when planned as one a week or one a fortnight per person.",
    )
    diary_lead_days = models.PositiveSmallIntegerField(
        default=42,
        help_text="Days before a quarter starts by which its first Core slots should be in the diary.",
    )
    balance_ratio_low = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("8"))
    balance_ratio_high = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("9"))
    choice_core_share_low = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.30"))
    choice_core_share_high = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.40"))
    planned_utilisation = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.80"),
        help_text="Plan to use this share of capacity, not all of it.",
    )
    wait_amber_weeks = models.PositiveSmallIntegerField(
        default=4, help_text="Waits from this many weeks are amber."
    )
    wait_red_weeks = models.PositiveSmallIntegerField(
        default=6, help_text="Waits from this many weeks are red."
    )
    core_review_every = models.PositiveSmallIntegerField(
        default=6, help_text="A Core case is reviewed every this many appointments."
    )
    core_appointments_flag = models.PositiveSmallIntegerField(
        default=10, help_text="A Core case past this many appointments is flagged for review."
    )
    choice_look_ahead_weeks = models.PositiveSmallIntegerField(
        default=6, help_text="How far ahead vacant Choice slots are counted against demand."
    )

    class Meta:
        verbose_name_plural = "planning settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    hours_per_session__gt=0,
                    appointments_per_session__gt=0,
                    working_weeks_per_year__gt=0,
                    working_weeks_per_year__lte=52,
                    core_average_appointments__gt=0,
                    choice_appointments_per_session__gt=0,
                    core_review_every__gt=0,
                    choice_look_ahead_weeks__gt=0,
                ),
                name="planning_settings_constants_are_positive",
            ),
            models.CheckConstraint(
                condition=Q(
                    transfer_rate__gte=0,
                    transfer_rate__lte=1,
                    choice_leave_allowance__gte=0,
                    choice_leave_allowance__lt=1,
                    planned_utilisation__gt=0,
                    planned_utilisation__lte=1,
                ),
                name="planning_settings_rates_are_shares",
            ),
            models.CheckConstraint(
                condition=Q(balance_ratio_low__lte=models.F("balance_ratio_high"))
                & Q(choice_core_share_low__lte=models.F("choice_core_share_high"))
                & Q(wait_amber_weeks__lte=models.F("wait_red_weeks")),
                name="planning_settings_thresholds_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Planning settings for {self.team}"


class Allocation(models.TextChoices):
    ROTA = "rota", "Next-up rota"
    DIARY = "diary", "Specific diary"


@audited()
class SpecificStream(models.Model):
    """A kind of Specific Partnership work with its own length and so its own multiplier."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="specific_streams")
    name = models.CharField(max_length=100)
    average_appointments = _positive(help_text="Average appointments in a case of this stream.")
    appointments_per_session = _positive(default=Decimal("2"))
    review_interval_weeks = models.PositiveSmallIntegerField(
        default=12, help_text="Weeks between reviews (e.g. 26 for psychotherapy, 13 for eating disorders)."
    )
    allocation = models.CharField(max_length=10, choices=Allocation.choices, default=Allocation.ROTA)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="specific_stream_name_unique_in_team"),
            models.CheckConstraint(
                condition=Q(
                    average_appointments__gt=0, appointments_per_session__gt=0, review_interval_weeks__gt=0
                ),
                name="specific_stream_figures_are_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AGREED = "agreed", "Agreed"
    SUPERSEDED = "superseded", "Superseded"


class ChoicePattern(models.TextChoices):
    SESSIONS = "sessions", "In sessions (2 Choice appointments a session)"
    ONE_A_WEEK = "one_a_week", "One a week"
    ONE_A_FORTNIGHT = "one_a_fortnight", "One a fortnight"


@audited()
class JobPlan(models.Model):
    """One version of a clinician's typical week in a team, in force from a quarter once agreed.

    Saving a change makes a new version; old versions are kept. The plan in force for a quarter is
    the agreed one with the latest `effective_from` on or before the quarter's start.
    """

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="job_plans"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="job_plans")
    version = models.PositiveIntegerField()
    effective_from = models.DateField(help_text="The first day of the quarter the plan applies from.")
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    choice_pattern = models.CharField(
        max_length=20, choices=ChoicePattern.choices, default=ChoicePattern.SESSIONS
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clinician", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinician", "team", "version"], name="job_plan_version_unique_per_clinician"
            ),
            models.UniqueConstraint(
                fields=["clinician", "team", "effective_from"],
                condition=Q(status=PlanStatus.AGREED),
                name="job_plan_one_agreed_plan_per_quarter",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=PlanStatus.DRAFT, agreed_by__isnull=True, agreed_at__isnull=True)
                    | Q(~Q(status=PlanStatus.DRAFT), agreed_by__isnull=False, agreed_at__isnull=False)
                ),
                name="job_plan_agreed_says_by_whom_and_when",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="job_plan_starts_on_the_first_of_a_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician}, plan v{self.version} ({self.get_status_display().lower()})"


class Activity(models.TextChoices):
    CHOICE = "choice", "Choice"
    CORE = "core", "Core Partnership"
    SPECIFIC = "specific", "Specific Partnership"
    TEAM_MEETING = "team_meeting", "Team meeting"
    SUPERVISION = "supervision", "Supervision"
    MANAGEMENT = "management", "Management"
    CPD_RESEARCH = "cpd_research", "CPD and research"
    TRAVEL = "travel", "Travel"
    BIG_ADMIN = "big_admin", "Big admin"
    OTHER = "other", "Other"


CLINICAL_ACTIVITIES = (Activity.CHOICE, Activity.CORE, Activity.SPECIFIC)


@audited()
class JobPlanLine(models.Model):
    """Hours a week one plan gives to one activity (each Specific stream is its own line)."""

    plan = models.ForeignKey(JobPlan, on_delete=models.CASCADE, related_name="lines")
    activity = models.CharField(max_length=20, choices=Activity.choices)
    specific_stream = models.ForeignKey(SpecificStream, on_delete=models.PROTECT, null=True, blank=True)
    hours_per_week = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal(HOURS_IN_A_WEEK))],
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=0, hours_per_week__lte=HOURS_IN_A_WEEK),
                name="job_plan_line_hours_fit_in_a_week",
            ),
            models.CheckConstraint(
                condition=Q(activity=Activity.SPECIFIC, specific_stream__isnull=False)
                | Q(~Q(activity=Activity.SPECIFIC), specific_stream__isnull=True),
                name="job_plan_line_specific_work_names_its_stream",
            ),
            models.UniqueConstraint(
                fields=["plan", "activity"],
                condition=Q(specific_stream__isnull=True),
                name="job_plan_line_one_line_per_activity",
            ),
            models.UniqueConstraint(
                fields=["plan", "specific_stream"],
                condition=Q(specific_stream__isnull=False),
                name="job_plan_line_one_line_per_stream",
            ),
        ]

    def __str__(self) -> str:
        what = self.specific_stream or self.get_activity_display()
        return f"{what}: {self.hours_per_week} h"


class AbsenceKind(models.TextChoices):
    MATERNITY = "maternity", "Maternity or parental leave"
    LONG_SICKNESS = "long_sickness", "Long-term sickness"
    VACANCY = "vacancy", "Vacancy"
    LEAVING = "leaving", "Leaving"
    OTHER = "other", "Other"


@audited()
class Absence(models.Model):
    """Time away beyond normal leave, which scales the clinician's targets."""

    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="absences")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="absences")
    kind = models.CharField(max_length=20, choices=AbsenceKind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Leave empty when leaving for good.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician}: {self.get_kind_display()} from {self.starts_on}"


@audited()
class ReferralRate(models.Model):
    """The team's accepted referrals a week for a quarter, as the lead expects them."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="referral_rates")
    quarter_start = models.DateField()
    referrals_per_week = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "quarter_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "quarter_start"], name="referral_rate_one_per_team_quarter"
            ),
            models.CheckConstraint(condition=Q(referrals_per_week__gte=0), name="referral_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.referrals_per_week} a week from {self.quarter_start}"
