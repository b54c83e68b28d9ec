"""The Partnership diary: vacant slots, the appointments booked into them, and team sessions.

Invariants the database enforces (DESIGN.md), so that no code path can break them:
- a clinician is never in two live diary entries at overlapping times: one `ClinicianTime` row
  per clinician per slot or team session carries the time range, under an exclusion constraint;
- a slot holds at most one live booking (`AppointmentSlot`, partial unique);
- a family has at most one live first Core booking per case (partial unique on `Appointment`);
- paired fields agree (end after start; an outcome says who and when).
See docs/adr/0007-one-time-row-per-clinician.md for why slots, bookings and team sessions share
one per-clinician time table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Team, Venue
from capa.audit import audited
from partnership.models import Case


class SlotKind(models.TextChoices):
    FIRST_CORE = "first_core", "First Core Partnership"
    CHOICE = "choice", "Choice"
    SPECIFIC = "specific", "Specific Partnership"


class AppointmentKind(models.TextChoices):
    FIRST_CORE = "first_core", "First Core Partnership"
    CHOICE = "choice", "Choice"
    SPECIFIC = "specific", "Specific Partnership"
    FOLLOW_UP = "follow_up", "Partnership (after the first)"


class SlotStatus(models.TextChoices):
    VACANT = "vacant", "Vacant"
    BOOKED = "booked", "Booked"
    LOST = "lost", "Lost (cancelled too late to rebook)"
    REMOVED = "removed", "Removed"


@audited()
class Slot(models.Model):
    """Time a clinician (or two, for joint work) puts in the diary for a family to be booked into."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="slots")
    kind = models.CharField(max_length=20, choices=SlotKind.choices, default=SlotKind.FIRST_CORE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="slots")
    status = models.CharField(max_length=10, choices=SlotStatus.choices, default=SlotStatus.VACANT)
    clinician_count = models.PositiveSmallIntegerField(
        default=1, help_text="1, or 2 for a joint slot: kept with the slot so searches need not count."
    )
    reoffer_of = models.ForeignKey(
        "Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reoffers",
        help_text="The DNA'd or cancelled appointment whose lost capacity this slot replaces.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="diary_slot_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=Q(clinician_count__gte=1, clinician_count__lte=2),
                name="diary_slot_has_one_or_two_clinicians",
            ),
            # One re-offer for each lost appointment, so a double click cannot re-offer twice.
            models.UniqueConstraint(
                fields=["reoffer_of"],
                condition=Q(reoffer_of__isnull=False) & ~Q(status="removed"),
                name="diary_one_reoffer_per_lost_appointment",
            ),
        ]
        indexes = [
            # The dashboards count a team's slots by quarter, whatever their status.
            models.Index(fields=["team", "kind", "starts_at"], name="diary_slots_by_team_and_time"),
            models.Index(
                fields=["team", "kind", "clinician_count", "starts_at"],
                condition=Q(status="vacant"),
                name="diary_vacant_slots_by_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} slot at {self.starts_at:%Y-%m-%d %H:%M}, {self.venue}"

    @property
    def is_vacant(self) -> bool:
        return self.status == SlotStatus.VACANT

    @property
    def went_unused(self) -> bool:
        """Vacant when its time came: nobody was booked into it."""
        return self.is_vacant and self.starts_at <= timezone.now()


class SessionKind(models.TextChoices):
    PEER_GROUP = "peer_group", "Peer group supervision"
    TEAM_MEETING = "team_meeting", "Team meeting"
    OTHER = "other", "Other team session"


@audited()
class TeamSession(models.Model):
    """A team meeting or peer group a lead puts in the diary: it blocks its clinicians' time."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="team_sessions")
    kind = models.CharField(max_length=20, choices=SessionKind.choices)
    title = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_cancelled = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="diary_team_session_ends_after_it_starts"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


@audited()
class ClinicianTime(models.Model):
    """One clinician's time held by one slot or team session: the row the no-overlap rule guards.

    A slot's rows stay live while it is vacant or booked (a booking uses the slot's time) and stop
    being live when it is removed; a team session's while it is not cancelled.
    """

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diary_time"
    )
    during = DateTimeRangeField()
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, null=True, blank=True, related_name="times")
    team_session = models.ForeignKey(
        TeamSession, on_delete=models.CASCADE, null=True, blank=True, related_name="times"
    )
    # An appointment after the first takes the clinicians' time itself (the first Core and Choice
    # appointments use their slots' time).
    appointment = models.ForeignKey(
        "Appointment", on_delete=models.CASCADE, null=True, blank=True, related_name="times"
    )
    is_live = models.BooleanField(default=True)

    class Meta:
        constraints = [
            ExclusionConstraint(
                name="diary_clinician_not_double_booked",
                expressions=[("clinician", RangeOperators.EQUAL), ("during", RangeOperators.OVERLAPS)],
                condition=Q(is_live=True),
            ),
            models.CheckConstraint(
                condition=Q(slot__isnull=False, team_session__isnull=True, appointment__isnull=True)
                | Q(slot__isnull=True, team_session__isnull=False, appointment__isnull=True)
                | Q(slot__isnull=True, team_session__isnull=True, appointment__isnull=False),
                name="diary_time_belongs_to_a_slot_or_a_team_session",
            ),
            models.CheckConstraint(
                condition=Q(during__isempty=False) & Q(during__lower_inf=False) & Q(during__upper_inf=False),
                name="diary_time_is_a_real_interval",
            ),
            models.UniqueConstraint(fields=["slot", "clinician"], name="diary_clinician_once_per_slot"),
            models.UniqueConstraint(
                fields=["team_session", "clinician"], name="diary_clinician_once_per_team_session"
            ),
            models.UniqueConstraint(
                fields=["appointment", "clinician"], name="diary_clinician_once_per_appointment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician}: {self.during}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    DNA = "dna", "Did not attend"
    CANCELLED_BY_FAMILY = "cancelled_by_family", "Cancelled by the family"
    CANCELLED_BY_SERVICE = "cancelled_by_service", "Cancelled by the service"


# An appointment holds its slot while booked, and after it (attended or DNA: the time was used).
HOLDS_ITS_SLOT = [AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED, AppointmentStatus.DNA]
# A family's first Core appointment is "live" until it is cancelled or missed: then it can be rebooked.
LIVE_FIRST_CORE = [AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED]
CANCELLED = [AppointmentStatus.CANCELLED_BY_FAMILY, AppointmentStatus.CANCELLED_BY_SERVICE]


@audited()
class Appointment(models.Model):
    """A family booked into one slot, or two slots of different clinicians at once (joint work)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="appointments")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(
        max_length=20, choices=AppointmentKind.choices, default=AppointmentKind.FIRST_CORE
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="appointments")
    status = models.CharField(
        max_length=24, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    slots = models.ManyToManyField(Slot, through="AppointmentSlot", related_name="appointments")

    class Meta:
        ordering = ["starts_at", "pk"]
        # The dashboards count a team's appointments of a kind by quarter.
        indexes = [models.Index(fields=["team", "kind", "starts_at"], name="diary_appointments_by_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="diary_appointment_ends_after_it_starts"
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind=SlotKind.FIRST_CORE, status__in=LIVE_FIRST_CORE),
                name="diary_one_live_first_core_booking_per_case",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind=SlotKind.CHOICE, status=AppointmentStatus.BOOKED),
                name="diary_one_booked_choice_per_case",
            ),
            models.CheckConstraint(
                condition=Q(status=AppointmentStatus.BOOKED, outcome_by__isnull=True, outcome_at__isnull=True)
                | Q(~Q(status=AppointmentStatus.BOOKED), outcome_by__isnull=False, outcome_at__isnull=False),
                name="diary_outcome_says_who_and_when",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CANCELLED) | Q(cancel_reason=""),
                name="diary_only_cancellations_have_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} at {self.starts_at:%Y-%m-%d %H:%M} ({self.get_status_display().lower()})"

    @property
    def holds_its_slot(self) -> bool:
        return self.status in HOLDS_ITS_SLOT

    @property
    def is_live_first_core(self) -> bool:
        return self.kind == SlotKind.FIRST_CORE and self.status in LIVE_FIRST_CORE

    @property
    def clinicians(self) -> list:
        """The clinicians of the slot(s) the appointment was booked into, or of its own time for
        an appointment after the first (prefetch `slot_links__slot__times__clinician` and
        `times__clinician` to read them without a query each)."""
        if self.kind == AppointmentKind.FOLLOW_UP:
            return [time.clinician for time in self.times.all()]
        return [time.clinician for link in self.slot_links.all() for time in link.slot.times.all()]


@audited()
class AppointmentSlot(models.Model):
    """Which slot(s) an appointment was booked into. Live while the appointment holds the slot."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="slot_links")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointment_links")
    is_live = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(is_live=True), name="diary_slot_holds_one_live_booking"
            ),
            models.UniqueConstraint(fields=["appointment", "slot"], name="diary_appointment_slot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment} in {self.slot}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    STUCK = "stuck", "Stuck: gave up retrying"


class OutboxEmail(models.Model):
    """An email to send after the transaction that queued it commits; the worker drains the table.

    A row is written in the same transaction as the change it reports, so a booking and its
    confirmation are never one without the other, and a broker outage only delays the email."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    about = models.CharField(
        max_length=100, blank=True, help_text="What the email is about, e.g. appointment:42"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=["pending", "failed"]), name="outbox_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({self.get_status_display().lower()})"


@audited()
class CalendarFeed(models.Model):
    """A clinician's secret iCalendar feed address; resetting it makes the old address stop working."""

    clinician = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.clinician}"


@audited()
class PublicationRun(models.Model):
    """Publishing one quarter's first Core slot targets for an organisation: one run per quarter,
    with progress the admin page polls (done of total clinicians)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="publication_runs"
    )
    quarter_start = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the daily beat job started it.",
    )
    republished_at = models.DateTimeField(null=True, blank=True)
    republished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-quarter_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "quarter_start"], name="diary_one_publication_run_per_quarter"
            ),
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="diary_publication_done_of_total"),
            models.CheckConstraint(
                condition=Q(status="running", finished_at__isnull=True)
                | Q(status="completed", finished_at__isnull=False),
                name="diary_publication_finished_when_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"Publication of {self.quarter_start} for {self.organisation}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)


@audited()
class QuarterTarget(models.Model):
    """A clinician's published target of first Core slots for a quarter, from the agreed plan in
    force then; `target` is empty (and listed on the run) when they had no agreed plan."""

    run = models.ForeignKey(PublicationRun, on_delete=models.PROTECT, related_name="targets")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="quarter_targets")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quarter_targets"
    )
    quarter_start = models.DateField()
    target = models.PositiveSmallIntegerField(null=True, blank=True)
    exact_target = models.CharField(max_length=40, blank=True, help_text="The exact fraction, e.g. 66/7.")
    plan = models.ForeignKey(
        "planning.JobPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="quarter_targets"
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "clinician"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinician", "team", "quarter_start"],
                name="diary_one_target_per_clinician_and_quarter",
            ),
            models.CheckConstraint(
                condition=Q(plan__isnull=True, target__isnull=True)
                | Q(plan__isnull=False, target__isnull=False),
                name="diary_target_comes_from_a_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician}: {self.target} first Core slots from {self.quarter_start}"


class TargetChange(models.Model):
    """What republishing changed: a target before and after, by whom and when."""

    target = models.ForeignKey(QuarterTarget, on_delete=models.CASCADE, related_name="changes")
    old_target = models.PositiveSmallIntegerField(null=True, blank=True)
    new_target = models.PositiveSmallIntegerField(null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.target.clinician}: {self.old_target} to {self.new_target}"


class ReminderSent(models.Model):
    """A reminder point (days before the quarter) reached for a person: each is sent once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quarter_start = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    kind = models.CharField(
        max_length=20, default="clinician", help_text="clinician, or lead (a team summary)"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quarter_start", "days_before", "kind"], name="diary_reminder_once_per_point"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder to {self.user}, {self.days_before} days before {self.quarter_start}"


class Notice(models.Model):
    """A message shown in capa itself (on the home page) until the person has seen it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    text = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="diary_unread_notices")
        ]

    def __str__(self) -> str:
        return self.text[:60]
