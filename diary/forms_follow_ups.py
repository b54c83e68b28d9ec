"""The form for booking an appointment after the first: date, times, venue and one or two of the
team's clinicians. Choices are scoped to the team, so the querysets are also permission filters;
the rules (Partnership, bank holidays, absences, clashes) live in `diary/follow_ups.py`."""

from __future__ import annotations

from django import forms

from accounts.forms import NHSFormMixin
from accounts.models import Team, User, Venue
from capa.widgets import UKDateField
from diary.forms import HORIZON_MESSAGE, TIME_FORMAT_MESSAGE, team_clinicians, within_planning_horizon

TIME_FORMATS = ["%H:%M", "%H.%M", "%H%M"]


class ClinicianChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: User) -> str:
        return str(user)


class FollowUpForm(NHSFormMixin, forms.Form):
    day = UKDateField(
        label="Date", help_text="For example, 12 1 2027", error_messages={"required": "Enter the date"}
    )
    starts = forms.TimeField(
        label="Starts at",
        help_text="24-hour clock, for example 10:00",
        input_formats=TIME_FORMATS,
        error_messages={"required": "Enter the time the appointment starts", "invalid": TIME_FORMAT_MESSAGE},
        widget=forms.TimeInput(
            attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}, format="%H:%M"
        ),
    )
    ends = forms.TimeField(
        label="Ends at",
        input_formats=TIME_FORMATS,
        error_messages={"required": "Enter the time the appointment ends", "invalid": TIME_FORMAT_MESSAGE},
        widget=forms.TimeInput(
            attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}, format="%H:%M"
        ),
    )
    venue = forms.ModelChoiceField(
        label="Venue", queryset=Venue.objects.none(), error_messages={"required": "Choose a venue"}
    )
    clinicians = ClinicianChoices(
        label="Clinicians",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One clinician, or two for joint work. It goes in their diaries.",
        error_messages={
            "required": "Choose the clinician who will see the family",
            "invalid_choice": "Choose clinicians of this team only",
            "invalid_pk_value": "Choose clinicians of this team only",
        },
    )

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = team.venues.filter(is_active=True).order_by("name")
        self.fields["clinicians"].queryset = team_clinicians(team)

    def clean_clinicians(self):
        clinicians = list(self.cleaned_data["clinicians"])
        if len(clinicians) > 2:
            raise forms.ValidationError("Choose one clinician, or two for joint work")
        return clinicians

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The appointment must end after it starts")
        day = cleaned.get("day")
        if day and not within_planning_horizon(day):
            self.add_error("day", HORIZON_MESSAGE)
        return cleaned
