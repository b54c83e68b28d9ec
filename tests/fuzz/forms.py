"""Every form class of capa, with how to make one bound to posted data: the arguments each takes
(a team, a case, a clinician...) come from the fuzzing world. `test_forms.py` fuzzes each entry;
`test_coverage.py` checks that every form class in capa's code has one."""

from __future__ import annotations

from django.test import RequestFactory
from django.utils import timezone

from accounts.forms import ChangePasswordForm, LockedOutForm, LoginForm
from diary.calendar_forms import TeamSessionForm
from diary.forms import OutcomeForm, PatternForm, SearchForm, SlotForm
from diary.forms_follow_ups import FollowUpForm
from partnership.forms import CaseForm, ReferralForm, StepForm
from partnership.views_care import LetterForm, ScoreForm
from partnership.views_workers import ClinicianForm, ReviewForm, SpecificWorkerForm
from planning.forms import AbsenceForm, JobPlanForm, ReferralRateForm, WhatIfForm, quarter_choices
from planning.quarters import Quarter
from planning.views_files import PlansImportForm


def _quarters(world):
    team = world.teams["own"]
    first = Quarter.containing(timezone.localdate(), start_month=team.organisation.financial_year_start_month)
    return quarter_choices(first, 6)


def _login(world, data, files):
    request = RequestFactory().post("/accounts/login/", data)
    return LoginForm(request, data=data)


# form class -> (world, data, files) -> a bound form, as its view makes it
MAKERS = {
    LoginForm: _login,
    ChangePasswordForm: lambda world, data, files: ChangePasswordForm(world.person("password_owner"), data),
    LockedOutForm: lambda world, data, files: LockedOutForm(data),
    PlansImportForm: lambda world, data, files: PlansImportForm(data, files),
    JobPlanForm: lambda world, data, files: JobPlanForm(
        data,
        clinician=world.get("clinician"),
        streams=[world.get("stream")],
        quarters=_quarters(world),
    ),
    ReferralRateForm: lambda world, data, files: ReferralRateForm(data, quarters=_quarters(world)),
    WhatIfForm: lambda world, data, files: WhatIfForm(
        data, clinicians=[world.get("clinician"), world.get("colleague")]
    ),
    AbsenceForm: lambda world, data, files: AbsenceForm(data),
    FollowUpForm: lambda world, data, files: FollowUpForm(data, team=world.teams["own"]),
    TeamSessionForm: lambda world, data, files: TeamSessionForm(data, team=world.teams["own"]),
    SearchForm: lambda world, data, files: SearchForm(data, team=world.teams["own"]),
    SlotForm: lambda world, data, files: SlotForm(
        data, team=world.teams["own"], clinician=world.get("clinician")
    ),
    PatternForm: lambda world, data, files: PatternForm(
        data, team=world.teams["own"], clinician=world.get("clinician")
    ),
    OutcomeForm: lambda world, data, files: OutcomeForm(data),
    SpecificWorkerForm: lambda world, data, files: SpecificWorkerForm(
        data, case=world.get("case_partnership"), may_override=True
    ),
    ClinicianForm: lambda world, data, files: ClinicianForm(data, case=world.get("case_partnership")),
    ReviewForm: lambda world, data, files: ReviewForm(data),
    LetterForm: lambda world, data, files: LetterForm(data, case=world.get("case_partnership")),
    ScoreForm: lambda world, data, files: ScoreForm(data, case=world.get("case_partnership")),
    CaseForm: lambda world, data, files: CaseForm(data),
    ReferralForm: lambda world, data, files: ReferralForm(data),
    StepForm: lambda world, data, files: StepForm(
        data, case=world.get("case_in_choice_attended"), prefix="step"
    ),
}
