"""Cases: a family's episode of care in a team, from referral through Choice and Partnership to
Let Go, with every step it took (`CaseEvent`), the clinicians working with it (`CaseWorker`),
reviews, the care plan letter and outcome measures.

The states and the steps between them are one table in `partnership/cases.py`; the database
keeps each state's facts consistent (a closed case says why and when)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.models import Team
from capa.audit import audited


class CaseState(models.TextChoices):
    REFERRED = "referred", "Referral received"
    NOT_ACCEPTED = "not_accepted", "Not accepted"
    AWAITING_CHOICE = "awaiting_choice", "Waiting for Choice"
    CHOICE_BOOKED = "choice_booked", "Choice booked"
    CHOICE_ATTENDED = "choice_attended", "Choice attended"
    CLOSED_AT_CHOICE = "closed_at_choice", "Closed at Choice"
    AWAITING_FIRST_CORE = "awaiting_first_core", "Waiting for a first Core booking"
    FIRST_CORE_BOOKED = "first_core_booked", "First Core booked"
    AWAITING_SPECIFIC = "awaiting_specific", "Waiting for a Specific worker"
    IN_PARTNERSHIP = "in_partnership", "In Partnership"
    LET_GO = "let_go", "Let Go"


CLOSED_STATES = [CaseState.NOT_ACCEPTED, CaseState.CLOSED_AT_CHOICE, CaseState.LET_GO]


class ChoiceOutcome(models.TextChoices):
    NO_FURTHER_HELP = "no_further_help", "No further help needed"
    ANOTHER_AGENCY = "another_agency", "Another agency"
    CORE = "core", "Core Partnership"
    SPECIFIC = "specific", "Specific Partnership"
    CHOICE_PLUS = "choice_plus", "Choice Plus (another Choice)"
    KEPT_AT_CHOICE = "kept_at_choice", "Kept by the Choice clinician"


@audited()
class Case(models.Model):
    """One episode of a child's care in a team, from referral. A re-referral opens a new one."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    family_reference = models.CharField(
        max_length=40, help_text="The team's reference for the family, e.g. the record number."
    )
    child_first_name = models.CharField(max_length=100)
    child_last_name = models.CharField(max_length=100)
    child_date_of_birth = models.DateField()
    referral_date = models.DateField()
    choice_date = models.DateField(null=True, blank=True, help_text="The day of the Choice appointment.")
    state = models.CharField(max_length=24, choices=CaseState.choices, default=CaseState.REFERRED)
    nhs_number = models.CharField(
        max_length=10, blank=True, help_text="Optional: 10 digits, the last a check digit."
    )
    referrer = models.CharField(max_length=200, blank=True, help_text="Who referred: GP, school, ...")
    accepted_on = models.DateField(null=True, blank=True)
    choice_outcome = models.CharField(max_length=20, choices=ChoiceOutcome.choices, blank=True)
    other_agency = models.CharField(max_length=200, blank=True, help_text="Which agency, if another.")
    choice_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    goals = models.TextField(blank=True, help_text="The goals agreed at Choice.")
    specific_stream = models.ForeignKey(
        "planning.SpecificStream", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    episode = models.PositiveSmallIntegerField(default=1)
    previous_episode = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_episode"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referral_date", "child_last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "family_reference", "referral_date"], name="case_one_episode_per_referral"
            ),
            models.CheckConstraint(
                condition=Q(child_date_of_birth__lte=F("referral_date")),
                name="case_child_born_before_referral",
            ),
            models.CheckConstraint(
                condition=Q(choice_date__isnull=True) | Q(choice_date__gte=F("referral_date")),
                name="case_choice_after_referral",
            ),
            # A closed episode says when and why; an open one has neither.
            models.CheckConstraint(
                condition=Q(state__in=CLOSED_STATES, closed_on__isnull=False, close_reason__gt="")
                | Q(~Q(state__in=CLOSED_STATES), closed_on__isnull=True, close_reason=""),
                name="case_closed_says_when_and_why",
            ),
            models.CheckConstraint(
                condition=Q(nhs_number="") | Q(nhs_number__regex=r"^[0-9]{10}$"),
                name="case_nhs_number_is_ten_digits",
            ),
            models.CheckConstraint(
                condition=~Q(choice_outcome=ChoiceOutcome.ANOTHER_AGENCY) | Q(other_agency__gt=""),
                name="case_another_agency_is_named",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "family_reference"]),
            models.Index(fields=["team", "state", "referral_date"], name="case_team_state"),
        ]

    def __str__(self) -> str:
        return f"{self.child_first_name} {self.child_last_name} ({self.family_reference})"

    def get_absolute_url(self) -> str:
        return reverse("partnership:case-detail", kwargs={"team_id": self.team_id, "case_id": self.pk})

    @property
    def child_name(self) -> str:
        return f"{self.child_first_name} {self.child_last_name}"


class CaseView(models.Model):
    """Someone opened a child's case or letter: who looked at which child's record, and when.

    Not audited by triggers (it is itself the audit), and never updated."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="views")
    viewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField(auto_now_add=True)
    what = models.CharField(max_length=40, default="case", help_text="The page: the case or a letter.")

    class Meta:
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["case", "-viewed_at"])]

    def __str__(self) -> str:
        return f"{self.viewed_by} viewed {self.case} ({self.what})"


class StepKind(models.TextChoices):
    ACCEPT = "accept", "Referral accepted"
    NOT_ACCEPT = "not_accept", "Referral not accepted"
    BOOK_CHOICE = "book_choice", "Choice booked"
    CHOICE_ATTENDED = "choice_attended", "Choice attended"
    CHOICE_DNA = "choice_dna", "Choice not attended: re-invite"
    CHOICE_CANCELLED = "choice_cancelled", "Choice cancelled: re-invite"
    CLOSE_AT_CHOICE = "close_at_choice", "Choice outcome: no further help or another agency"
    TO_CORE = "to_core", "Choice outcome: Core Partnership"
    TO_SPECIFIC = "to_specific", "Choice outcome: Specific Partnership"
    CHOICE_PLUS = "choice_plus", "Choice outcome: Choice Plus"
    KEEP_AT_CHOICE = "keep_at_choice", "Choice outcome: kept by the Choice clinician"
    BOOK_FIRST_CORE = "book_first_core", "First Core booked"
    FIRST_CORE_ATTENDED = "first_core_attended", "First Core attended"
    FIRST_CORE_MISSED = "first_core_missed", "First Core missed or cancelled: book again"
    SPECIFIC_WORKER_JOINED = "specific_worker_joined", "Specific worker joined"
    REVIEW = "review", "Review held"
    LET_GO = "let_go", "Let Go"
    RE_REFER = "re_refer", "Re-referred: a new episode"


class CaseStep(models.Model):
    """One step a case took: what, from which state to which, on which day, who recorded it and
    when. Never updated or deleted: it is the case's history."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(max_length=30, choices=StepKind.choices)
    from_state = models.CharField(max_length=24, choices=CaseState.choices)
    to_state = models.CharField(max_length=24, choices=CaseState.choices)
    happened_on = models.DateField(help_text="The day it happened (may be before it was recorded).")
    detail = models.TextField(blank=True, help_text="The reason, the agency, what was agreed.")
    data = models.JSONField(default=dict, blank=True, help_text="e.g. the Choice dates offered.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [
            models.Index(fields=["case", "recorded_at"]),
            # The dashboards count steps by the day they happened.
            models.Index(fields=["happened_on", "kind"], name="case_steps_by_day"),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_kind_display()} on {self.happened_on}"


class WorkerRole(models.TextChoices):
    KEY_WORKER = "key_worker", "Key worker"
    CORE_COWORKER = "core_coworker", "Core co-worker"
    SPECIFIC_WORKER = "specific_worker", "Specific worker"


class JoinedVia(models.TextChoices):
    CHOICE = "choice", "Kept from Choice"
    DIARY = "diary", "Partnership diary"
    ROTA = "rota", "Next-up rota"
    ROTA_OVERRIDE = "rota_override", "Rota overridden by a lead"
    SPECIFIC_DIARY = "specific_diary", "Specific slot"
    LEAD = "lead", "Added by a lead"


@audited()
class CaseWorker(models.Model):
    """A clinician working with a case: its key worker, a second Core clinician (who counts the
    case towards their own new Core Partnerships), or a Specific worker of a stream."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="workers")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_work"
    )
    role = models.CharField(max_length=20, choices=WorkerRole.choices)
    specific_stream = models.ForeignKey(
        "planning.SpecificStream", on_delete=models.PROTECT, null=True, blank=True, related_name="workers"
    )
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    via = models.CharField(max_length=20, choices=JoinedVia.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(role=WorkerRole.KEY_WORKER, left_on__isnull=True),
                name="case_one_current_key_worker",
            ),
            models.UniqueConstraint(
                fields=["case", "clinician"],
                condition=Q(left_on__isnull=True),
                name="case_worker_once_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(role=WorkerRole.SPECIFIC_WORKER, specific_stream__isnull=False)
                | Q(~Q(role=WorkerRole.SPECIFIC_WORKER), specific_stream__isnull=True),
                name="case_worker_specific_names_its_stream",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="case_worker_leaves_after_joining",
            ),
        ]
        indexes = [models.Index(fields=["clinician", "left_on"])]

    def __str__(self) -> str:
        return f"{self.clinician}, {self.get_role_display().lower()} of {self.case}"


class RotaPick(models.Model):
    """Who the next-up rota of a Specific stream picked for a case, everyone it skipped and why,
    and a lead's override with its reason. Never updated: the rota's own record."""

    stream = models.ForeignKey("planning.SpecificStream", on_delete=models.PROTECT, related_name="rota_picks")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rota_picks")
    picked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    next_up = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who the rota said was next (differs from `picked` when a lead overrode it).",
    )
    skipped = models.JSONField(default=list, blank=True, help_text='[{"clinician": id, "reason": "..."}]')
    override_reason = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    picked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["picked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_up__isnull=True) | Q(picked=F("next_up")) | Q(override_reason__gt=""),
                name="rota_override_has_a_reason",
            ),
        ]
        indexes = [models.Index(fields=["stream", "picked_at"])]

    def __str__(self) -> str:
        return f"{self.stream}: {self.picked} for {self.case}"


@audited()
class Review(models.Model):
    """A planned check of a case's goals (Core every few sessions; Specific streams in months)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField()
    notes = models.TextField(blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True) | Q(next_review_on__gt=F("held_on")),
                name="review_next_after_this_one",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.case} on {self.held_on}"


@audited()
class CarePlanLetter(models.Model):
    """The letter after the first Core appointment: goals (from Choice, amended), formulation,
    risk plan, review date, and who it goes to. Sent once; a later letter is a new row."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="letters")
    goals = models.TextField()
    formulation = models.TextField()
    risk_plan = models.TextField()
    review_on = models.DateField()
    to_family = models.BooleanField(default=True)
    to_referrer = models.BooleanField(default=True)
    network = models.TextField(blank=True, help_text="The agreed network, one recipient a line.")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.TextField(blank=True, help_text="Who it was sent to, one a line, as sent.")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["written_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True, sent_by__isnull=True, sent_to="")
                | Q(sent_at__isnull=False, sent_by__isnull=False, sent_to__gt=""),
                name="letter_sent_says_when_by_whom_and_to_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan letter for {self.case}"


@audited()
class OutcomeMeasure(models.Model):
    """A scored outcome measure the organisation uses (SDQ, C-GAS, HoNOSCA, goal-based outcomes),
    with the range of a valid score."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="outcome_measures"
    )
    name = models.CharField(max_length=60)
    lowest = models.DecimalField(max_digits=6, decimal_places=1)
    highest = models.DecimalField(max_digits=6, decimal_places=1)
    higher_is_better = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="outcome_measure_name_unique"),
            models.CheckConstraint(
                condition=Q(highest__gt=F("lowest")), name="outcome_measure_range_is_real"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MeasurePoint(models.TextChoices):
    START = "start", "Start"
    REVIEW = "review", "Review"
    END = "end", "End"


@audited()
class OutcomeScore(models.Model):
    """One score of one measure for a case, at its start, a review or its end."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="scores")
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.PROTECT, related_name="scores")
    point = models.CharField(max_length=10, choices=MeasurePoint.choices)
    score = models.DecimalField(max_digits=6, decimal_places=1)
    scored_on = models.DateField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scored_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "measure"], condition=Q(point="start"), name="outcome_one_start_score"
            ),
            models.UniqueConstraint(
                fields=["case", "measure"], condition=Q(point="end"), name="outcome_one_end_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.score} ({self.get_point_display().lower()}) for {self.case}"
