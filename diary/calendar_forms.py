"""The form a lead fills in to put a team session in the diary. Its choices are scoped to the team,
so its querysets are also permission filters."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from accounts.forms import NHSFormMixin
from accounts.models import Team, User, Venue
from capa.widgets import UKDateField
from diary.forms import HORIZON_MESSAGE, TIME_FORMAT_MESSAGE, team_clinicians, within_planning_horizon
from diary.models import SessionKind

TIME_FORMATS = ["%H:%M", "%H.%M", "%H%M"]


class CliniciansField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: User) -> str:
        return str(user)


def _time_widget() -> forms.TimeInput:
    return forms.TimeInput(attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}, format="%H:%M")


class TeamSessionForm(NHSFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What kind of session",
        choices=SessionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of session it is"},
    )
    title = forms.CharField(
        label="Title (optional)",
        required=False,
        max_length=200,
        help_text="Shown in the diary instead of the kind, for example 'Peer group: formulation'.",
        error_messages={"max_length": "The title must be 200 characters or fewer"},
    )
    day = UKDateField(
        label="Date", help_text="For example, 12 1 2027", error_messages={"required": "Enter the date"}
    )
    starts = forms.TimeField(
        label="Starts at",
        help_text="24-hour clock, for example 13:00",
        input_formats=TIME_FORMATS,
        error_messages={"required": "Enter the time the session starts", "invalid": TIME_FORMAT_MESSAGE},
        widget=_time_widget(),
    )
    ends = forms.TimeField(
        label="Ends at",
        input_formats=TIME_FORMATS,
        error_messages={"required": "Enter the time the session ends", "invalid": TIME_FORMAT_MESSAGE},
        widget=_time_widget(),
    )
    venue = forms.ModelChoiceField(
        label="Venue (optional)",
        queryset=Venue.objects.none(),
        required=False,
        empty_label="No venue: online or to be confirmed",
    )
    clinicians = CliniciansField(
        label="Who attends",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The session blocks their time in the diary: nothing else can be put in then.",
        error_messages={"required": "Choose at least one clinician who attends"},
    )

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = team.venues.filter(is_active=True).order_by("name")
        self.fields["clinicians"].queryset = team_clinicians(team)

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("The date must be today or in the future", code="in_the_past")
        if day is not None and not within_planning_horizon(day):
            raise forms.ValidationError(HORIZON_MESSAGE, code="too_far")
        return day

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The session must end after it starts")
        return cleaned
