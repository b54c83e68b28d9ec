"""Forms for job plans, referrals and the what-if view. They check input and show messages; the
rules themselves are in `job_plans.py` and `capacity.py`."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from accounts.forms import NHSFormMixin
from accounts.models import User
from capa.templatetags.nhsuk import hours as hours_text
from capa.widgets import ERROR_PARTS, PARTS, UKDateField
from planning import job_plans
from planning.models import HOURS_IN_A_WEEK, AbsenceKind, Activity, ChoicePattern, SpecificStream
from planning.quarters import Quarter

HOURS_MESSAGES = {
    "invalid": "Enter hours as a number, like 7.5",
    "max_decimal_places": "Enter hours to no more than 2 decimal places, like 7.25",
    "max_digits": job_plans.MESSAGES["absurd"].format(limit=HOURS_IN_A_WEEK),
    "max_whole_digits": job_plans.MESSAGES["absurd"].format(limit=HOURS_IN_A_WEEK),
}
# The activities of the weekly grid, in the order a lead thinks of them; each Specific stream
# gets its own row after Core Partnership.
GRID_BEFORE_SPECIFIC = [Activity.CHOICE, Activity.CORE]
GRID_AFTER_SPECIFIC = [
    Activity.TEAM_MEETING,
    Activity.SUPERVISION,
    Activity.MANAGEMENT,
    Activity.CPD_RESEARCH,
    Activity.TRAVEL,
    Activity.BIG_ADMIN,
    Activity.OTHER,
]


def hours_field(label: str, *, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text=help_text,
        error_messages=HOURS_MESSAGES,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
    )


def quarter_choices(first: Quarter, count: int) -> list[tuple[str, str]]:
    return [(quarter.label, str(quarter)) for quarter in first.following(count)]


class JobPlanForm(NHSFormMixin, forms.Form):
    """A clinician's week: hours per activity, which must add up to their contracted hours."""

    quarter = forms.ChoiceField(
        label="In force from",
        help_text="The quarter this version applies from, once agreed.",
        error_messages={"required": "Choose the quarter the plan applies from"},
    )
    choice_pattern = forms.ChoiceField(
        label="How Choice is planned",
        choices=ChoicePattern.choices,
        initial=ChoicePattern.SESSIONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how Choice is planned"},
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, why the plan changed.",
    )

    def __init__(
        self,
        *args,
        clinician: User,
        streams: list[SpecificStream],
        quarters: list[tuple[str, str]],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clinician = clinician
        self.streams = streams
        self.fields["quarter"].choices = quarters
        self.line_keys: list[tuple[str, int | None]] = []
        for activity in GRID_BEFORE_SPECIFIC:
            self._add_line(activity, None, Activity(activity).label)
        for stream in streams:
            self._add_line(Activity.SPECIFIC, stream.pk, f"Specific: {stream.name}")
        for activity in GRID_AFTER_SPECIFIC:
            self._add_line(activity, None, Activity(activity).label)
        self.order_fields(["quarter", "choice_pattern", *self.hours_field_names, "notes"])

    @property
    def non_field_errors_link(self) -> str:
        """A plan that does not add up is fixed in the grid: the summary links to its first box."""
        return f"#{self[self.hours_field_names[0]].auto_id}"

    def _add_line(self, activity: str, stream: int | None, label: str) -> None:
        self.line_keys.append((activity, stream))
        self.fields[job_plans.line_field_name(activity, stream)] = hours_field(label)

    @property
    def hours_field_names(self) -> list[str]:
        return [job_plans.line_field_name(activity, stream) for activity, stream in self.line_keys]

    @property
    def hours_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.hours_field_names]

    @property
    def contracted_hours(self) -> Decimal:
        return self.clinician.clinician_profile.contracted_hours_per_week

    def typed_hours(self) -> job_plans.PlanHours:
        """The hours typed so far that read as numbers (for the live totals, before validation)."""
        typed = {}
        for activity, stream in self.line_keys:
            raw = (self.data.get(self.add_prefix(job_plans.line_field_name(activity, stream))) or "").strip()
            try:
                typed[activity, stream] = Decimal(raw) if raw else Decimal(0)
            except ArithmeticError:
                continue
            # A number no week can hold (the form refuses it when saved) is left out of the totals:
            # 1e400 hours would only overflow the figures.
            if not typed[activity, stream].is_finite() or abs(typed[activity, stream]) > HOURS_IN_A_WEEK:
                del typed[activity, stream]
        return typed

    def initial_hours(self) -> job_plans.PlanHours:
        return {
            (activity, stream): Decimal(self.initial.get(job_plans.line_field_name(activity, stream)) or 0)
            for activity, stream in self.line_keys
        }

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in self.hours_field_names):
            return cleaned
        hours = self.plan_hours_from(cleaned)
        for problem in job_plans.plan_problems(
            hours=hours, contracted_hours=self.contracted_hours, clinician_name=str(self.clinician)
        ):
            self.add_error(problem.field, problem.message)
        return cleaned

    def plan_hours_from(self, cleaned: dict) -> job_plans.PlanHours:
        return {
            (activity, stream): cleaned.get(job_plans.line_field_name(activity, stream)) or Decimal(0)
            for activity, stream in self.line_keys
        }

    @property
    def plan_hours(self) -> job_plans.PlanHours:
        return self.plan_hours_from(self.cleaned_data)


def initial_from_hours(hours: job_plans.PlanHours) -> dict[str, str]:
    """A saved week as the grid shows it: 10.50 as 10.5, 7.00 as 7."""
    return {
        job_plans.line_field_name(activity, stream): hours_text(value)
        for (activity, stream), value in hours.items()
    }


class ReferralRateForm(NHSFormMixin, forms.Form):
    quarter = forms.ChoiceField(label="Quarter", error_messages={"required": "Choose a quarter"})
    referrals_per_week = forms.DecimalField(
        label="Accepted referrals a week",
        min_value=0,
        max_value=999,
        max_digits=5,
        decimal_places=2,
        help_text="Referrals that pass the team's eligibility screen, on average, in a week.",
        error_messages={
            "required": "Enter the accepted referrals a week",
            "invalid": "Enter referrals a week as a number, like 12.5",
            "min_value": "Referrals a week cannot be negative",
            "max_value": "Referrals a week must be 999 or fewer",
            "max_digits": "Referrals a week must be 999 or fewer",
            "max_whole_digits": "Referrals a week must be 999 or fewer",
            "max_decimal_places": "Enter referrals a week to no more than 2 decimal places",
        },
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-5"}),
    )

    def __init__(self, *args, quarters: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = quarters


class WhatIfForm(NHSFormMixin, forms.Form):
    """Try other referrals, transfer rate or hours; nothing is saved. Empty boxes keep the plan."""

    referrals_per_week = forms.DecimalField(
        label="Accepted referrals a week",
        required=False,
        min_value=0,
        max_value=999,
        max_digits=6,
        decimal_places=2,
        error_messages={
            "invalid": "Enter referrals a week as a number, like 12.5",
            "min_value": "Referrals a week cannot be negative",
            "max_value": "Referrals a week must be 999 or fewer",
            "max_digits": "Referrals a week must be 999 or fewer",
            "max_whole_digits": "Referrals a week must be 999 or fewer",
            "max_decimal_places": "Enter referrals a week to no more than 2 decimal places",
        },
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-5"}),
    )
    transfer_rate = forms.DecimalField(
        label="Choice to Core transfer rate (%)",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=1,
        help_text="The share of Choice appointments that go on to Core Partnership, e.g. 66.",
        error_messages={
            "invalid": "Enter the transfer rate as a percentage, like 66",
            "min_value": "The transfer rate cannot be below 0%%",
            "max_value": "The transfer rate cannot be above 100%%",
            "max_digits": "The transfer rate cannot be above 100%%",
            "max_whole_digits": "The transfer rate cannot be above 100%%",
            "max_decimal_places": "Enter the transfer rate to no more than 1 decimal place",
        },
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
    )

    def __init__(self, *args, clinicians: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.clinicians = clinicians
        for clinician in clinicians:
            for kind, label in (("choice", "Choice"), ("core", "Core Partnership")):
                field = hours_field(f"{label} hours a week for {clinician}")
                field.validators.append(_fits_in_a_week)
                self.fields[f"{kind}_{clinician.pk}"] = field

    def clinician_fields(self) -> list[tuple[User, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"choice_{c.pk}"], self[f"core_{c.pk}"]) for c in self.clinicians]

    def hours_changes(self, current: dict[int, dict[str, Decimal]]) -> dict[int, dict[str, Decimal]]:
        """Only the hours that differ from the plans in force."""
        changes: dict[int, dict[str, Decimal]] = {}
        for clinician in self.clinicians:
            for kind in ("choice", "core"):
                value = self.cleaned_data.get(f"{kind}_{clinician.pk}")
                if value is not None and value != current.get(clinician.pk, {}).get(kind):
                    changes.setdefault(clinician.pk, {})[kind] = value
        return changes


def _fits_in_a_week(value: Decimal | None) -> None:
    if value is None:
        return
    if value < 0:
        raise forms.ValidationError(job_plans.MESSAGES["negative"], code="negative")
    if value > HOURS_IN_A_WEEK:
        raise forms.ValidationError(job_plans.MESSAGES["absurd"].format(limit=HOURS_IN_A_WEEK), code="absurd")


class AbsenceForm(NHSFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Kind of absence",
        choices=AbsenceKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of absence"},
    )
    starts_on = UKDateField(
        label="First day away",
        help_text="For example, 15 3 2027",
        error_messages={"required": "Enter the first day away"},
    )
    ends_on = UKDateField(
        label="Last day away (optional)",
        required=False,
        help_text="Leave empty when the clinician is leaving for good or the end is not known.",
    )
    notes = forms.CharField(
        label="Notes (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error(
                "ends_on",
                forms.ValidationError(
                    "The last day must be on or after the first day",
                    code="before_start",
                    params={ERROR_PARTS: PARTS},
                ),
            )
        return cleaned
