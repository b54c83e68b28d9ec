"""Forms of the diary: search filters, slots, patterns and outcomes. Choices are scoped to the
team, so a form's querysets are also permission filters."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from accounts.forms import NHSFormMixin
from accounts.models import Role, Skill, Team, User, Venue
from capa.widgets import UKDateField
from diary.models import AppointmentStatus, SlotKind
from diary.search import TIMES_OF_DAY, WEEKDAYS

TIME_FORMAT_MESSAGE = "Enter a time like 14:30"
HORIZON = timedelta(days=2 * 366)
HORIZON_MESSAGE = "Enter a date from today to two years ahead"


def within_planning_horizon(day: date) -> bool:
    """Slots go in from today up to two years ahead: later dates are almost always typing slips."""
    today = timezone.localdate()
    return today <= day <= today + HORIZON


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return str(user)


def team_clinicians(team: Team):
    return (
        User.objects.filter(
            memberships__team=team,
            memberships__role__in=[Role.CLINICIAN, Role.TEAM_LEAD],
            clinician_profile__isnull=False,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


class SearchForm(NHSFormMixin, forms.Form):
    skills = forms.ModelMultipleChoiceField(
        label="Skills the family's goals need",
        queryset=Skill.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Slots whose clinician holds all of them (or, for joint work, the two together).",
    )
    venues = forms.ModelMultipleChoiceField(
        label="Venues the family can get to",
        queryset=Venue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = UKDateField(label="From", required=False, help_text="For example, 12 1 2027")
    date_to = UKDateField(label="To", required=False, help_text="Leave empty for any date")
    weekdays = forms.TypedMultipleChoiceField(
        label="Days", choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    times_of_day = forms.MultipleChoiceField(
        label="Time of day",
        choices=[(key, label) for key, (label, _, _) in TIMES_OF_DAY.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    clinician = ClinicianChoiceField(
        label="A named clinician (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone",
    )
    joint = forms.BooleanField(
        label="Joint work: two clinicians together",
        required=False,
        help_text="A joint slot, or two clinicians' slots at the same venue and time.",
    )

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["skills"].queryset = Skill.objects.filter(organisation_id=team.organisation_id).order_by(
            "kind", "name", "level"
        )
        self.fields["venues"].queryset = team.venues.filter(is_active=True).order_by("name")
        self.fields["clinician"].queryset = team_clinicians(team)
        self.helper.form_show_errors = True

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The 'to' date must be on or after the 'from' date")
        return cleaned


class SlotForm(NHSFormMixin, forms.Form):
    """One vacant slot: first Core Partnership (for the Partnership diary) or Choice."""

    kind = forms.ChoiceField(
        label="For",
        choices=[
            (SlotKind.FIRST_CORE, "A first Core Partnership appointment"),
            (SlotKind.CHOICE, "A Choice appointment"),
        ],
        initial=SlotKind.FIRST_CORE,
        required=False,  # the first Core kind is checked from the start; a post without it means that
        widget=forms.RadioSelect,
    )

    day = UKDateField(
        label="Date", help_text="For example, 12 1 2027", error_messages={"required": "Enter the date"}
    )
    starts = forms.TimeField(
        label="Starts at",
        help_text="24-hour clock, for example 10:00",
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        error_messages={"required": "Enter the time the slot starts", "invalid": TIME_FORMAT_MESSAGE},
        widget=forms.TimeInput(
            attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}, format="%H:%M"
        ),
    )
    ends = forms.TimeField(
        label="Ends at",
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        error_messages={"required": "Enter the time the slot ends", "invalid": TIME_FORMAT_MESSAGE},
        widget=forms.TimeInput(
            attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}, format="%H:%M"
        ),
    )
    venue = forms.ModelChoiceField(
        label="Venue", queryset=Venue.objects.none(), error_messages={"required": "Choose a venue"}
    )
    joint_with = ClinicianChoiceField(
        label="Joint with (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody: a slot of one clinician",
        help_text="For joint work the slot is in both clinicians' diaries.",
    )

    def __init__(self, *args, team: Team, clinician: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = team.venues.filter(is_active=True).order_by("name")
        self.fields["joint_with"].queryset = team_clinicians(team).exclude(pk=clinician.pk)

    def clean_kind(self):
        return self.cleaned_data.get("kind") or SlotKind.FIRST_CORE

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The slot must end after it starts")
        day = cleaned.get("day")
        if day and not within_planning_horizon(day):
            self.add_error("day", HORIZON_MESSAGE)
        return cleaned


class PatternForm(SlotForm):
    """The same slot every week (or fortnight) over a period: previewed, then saved."""

    day = None
    weekday = forms.TypedChoiceField(
        label="Day of the week",
        choices=[(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the day of the week"},
    )
    first_day = UKDateField(
        label="From",
        help_text="For example, 5 4 2027",
        error_messages={"required": "Enter the first date of the pattern"},
    )
    last_day = UKDateField(
        label="To",
        help_text="For example, 29 6 2027",
        error_messages={"required": "Enter the last date of the pattern"},
    )
    every_weeks = forms.TypedChoiceField(
        label="How often",
        choices=[(1, "Every week"), (2, "Every other week")],
        coerce=int,
        initial=1,
        widget=forms.RadioSelect,
    )

    field_order = [
        "kind",
        "weekday",
        "starts",
        "ends",
        "first_day",
        "last_day",
        "every_weeks",
        "venue",
        "joint_with",
    ]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        for name, day in (("first_day", first), ("last_day", last)):
            if day and not within_planning_horizon(day):
                self.add_error(name, HORIZON_MESSAGE)
                return cleaned
        if first and last:
            if last < first:
                self.add_error("last_day", "The last date must be on or after the first date")
            elif (last - first).days > 366:
                self.add_error("last_day", "A pattern can cover a year at most")
            elif last < timezone.localdate():
                self.add_error("last_day", "The pattern must end in the future")
        return cleaned


class OutcomeForm(NHSFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="What happened",
        choices=[
            (AppointmentStatus.ATTENDED, "Attended"),
            (AppointmentStatus.DNA, "Did not attend (DNA)"),
            (AppointmentStatus.CANCELLED_BY_FAMILY, "Cancelled by the family"),
            (AppointmentStatus.CANCELLED_BY_SERVICE, "Cancelled by the service"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened"},
    )
    reason = forms.CharField(
        label="Reason for the cancellation",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        cancelled = cleaned.get("outcome", "").startswith("cancelled")
        refused = "reason" in self.errors  # too long, said already: not also "enter the reason"
        if cancelled and not refused and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Enter the reason for the cancellation")
        return cleaned
