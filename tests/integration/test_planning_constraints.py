"""The planning tables refuse impossible job plans and settings, whatever writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from planning.models import (
    Absence,
    Activity,
    JobPlan,
    JobPlanLine,
    PlanningSettings,
    PlanStatus,
    ReferralRate,
    SpecificStream,
)
from tests.constraints import assert_refused, refuses
from tests.factories import (
    AbsenceFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    PlanningSettingsFactory,
    ReferralRateFactory,
    SpecificStreamFactory,
)

pytestmark = pytest.mark.django_db


@refuses("planning_settings_constants_are_positive")
def test_planning_constants_are_positive():
    team_settings = PlanningSettingsFactory()
    for field in ("hours_per_session", "core_average_appointments", "working_weeks_per_year"):
        assert_refused(
            "planning_settings_constants_are_positive",
            lambda field=field: PlanningSettings.objects.filter(pk=team_settings.pk).update(**{field: 0}),
        )
    assert_refused(
        "planning_settings_constants_are_positive",
        lambda: PlanningSettings.objects.filter(pk=team_settings.pk).update(working_weeks_per_year=53),
    )


@refuses("planning_settings_rates_are_shares")
def test_rates_are_shares_of_one():
    team_settings = PlanningSettingsFactory()
    assert_refused(
        "planning_settings_rates_are_shares",
        lambda: PlanningSettings.objects.filter(pk=team_settings.pk).update(transfer_rate=Decimal("1.2")),
    )


@refuses("planning_settings_thresholds_in_order")
def test_thresholds_run_low_to_high():
    team_settings = PlanningSettingsFactory()
    assert_refused(
        "planning_settings_thresholds_in_order",
        lambda: PlanningSettings.objects.filter(pk=team_settings.pk).update(wait_amber_weeks=8),
    )


@refuses("specific_stream_name_unique_in_team")
def test_a_team_names_each_specific_stream_once():
    stream = SpecificStreamFactory(name="Eating disorders")
    assert_refused(
        "specific_stream_name_unique_in_team",
        lambda: SpecificStream.objects.bulk_create(
            [SpecificStream(team=stream.team, name="Eating disorders", average_appointments=20)]
        ),
    )


@refuses("specific_stream_figures_are_positive")
def test_a_specific_stream_has_a_positive_length():
    stream = SpecificStreamFactory()
    assert_refused(
        "specific_stream_figures_are_positive",
        lambda: SpecificStream.objects.filter(pk=stream.pk).update(average_appointments=0),
    )


@refuses("job_plan_version_unique_per_clinician")
def test_plan_versions_are_numbered_once():
    plan = JobPlanFactory()
    assert_refused(
        "job_plan_version_unique_per_clinician",
        lambda: JobPlan.objects.bulk_create(
            [
                JobPlan(
                    clinician=plan.clinician,
                    team=plan.team,
                    version=plan.version,
                    effective_from=date(2027, 4, 1),
                )
            ]
        ),
    )


@refuses("job_plan_one_agreed_plan_per_quarter")
def test_only_one_agreed_plan_is_in_force_from_a_quarter():
    agreed = JobPlanFactory(agreed=True)
    draft = JobPlanFactory(team=agreed.team, clinician=agreed.clinician, effective_from=agreed.effective_from)
    assert_refused(
        "job_plan_one_agreed_plan_per_quarter",
        lambda: JobPlan.objects.filter(pk=draft.pk).update(
            status=PlanStatus.AGREED, agreed_by=agreed.agreed_by, agreed_at=agreed.agreed_at
        ),
    )


@refuses("job_plan_agreed_says_by_whom_and_when")
def test_an_agreed_plan_says_who_agreed_it_and_when():
    plan = JobPlanFactory()
    assert_refused(
        "job_plan_agreed_says_by_whom_and_when",
        lambda: JobPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.AGREED),
    )


@refuses("job_plan_starts_on_the_first_of_a_month")
def test_a_plan_starts_at_the_start_of_a_quarter_month():
    plan = JobPlanFactory()
    assert_refused(
        "job_plan_starts_on_the_first_of_a_month",
        lambda: JobPlan.objects.filter(pk=plan.pk).update(effective_from=date(2027, 1, 15)),
    )


@refuses("job_plan_line_hours_fit_in_a_week")
def test_plan_hours_are_not_negative_and_fit_in_a_week():
    line = JobPlanLineFactory()
    for hours in (Decimal("-1"), Decimal("168.5")):
        assert_refused(
            "job_plan_line_hours_fit_in_a_week",
            lambda hours=hours: JobPlanLine.objects.filter(pk=line.pk).update(hours_per_week=hours),
        )


@refuses("job_plan_line_specific_work_names_its_stream")
def test_specific_work_names_its_stream_and_other_work_does_not():
    line = JobPlanLineFactory(activity=Activity.CORE)
    stream = SpecificStreamFactory(team=line.plan.team)
    assert_refused(
        "job_plan_line_specific_work_names_its_stream",
        lambda: JobPlanLine.objects.filter(pk=line.pk).update(activity=Activity.SPECIFIC),
    )
    assert_refused(
        "job_plan_line_specific_work_names_its_stream",
        lambda: JobPlanLine.objects.filter(pk=line.pk).update(specific_stream=stream),
    )


@refuses("job_plan_line_one_line_per_activity")
def test_a_plan_lists_each_activity_once():
    line = JobPlanLineFactory(activity=Activity.CHOICE)
    assert_refused(
        "job_plan_line_one_line_per_activity",
        lambda: JobPlanLine.objects.bulk_create(
            [JobPlanLine(plan=line.plan, activity=Activity.CHOICE, hours_per_week=1)]
        ),
    )


@refuses("job_plan_line_one_line_per_stream")
def test_a_plan_lists_each_specific_stream_once():
    plan = JobPlanFactory()
    stream = SpecificStreamFactory(team=plan.team)
    JobPlanLineFactory(plan=plan, activity=Activity.SPECIFIC, specific_stream=stream)
    assert_refused(
        "job_plan_line_one_line_per_stream",
        lambda: JobPlanLine.objects.bulk_create(
            [JobPlanLine(plan=plan, activity=Activity.SPECIFIC, specific_stream=stream, hours_per_week=1)]
        ),
    )


@refuses("absence_ends_after_it_starts")
def test_an_absence_ends_after_it_starts():
    absence = AbsenceFactory()
    assert_refused(
        "absence_ends_after_it_starts",
        lambda: Absence.objects.filter(pk=absence.pk).update(ends_on=date(2027, 1, 1)),
    )
    Absence.objects.filter(pk=absence.pk).update(ends_on=None)  # leaving for good is allowed


@refuses("referral_rate_one_per_team_quarter")
def test_one_referral_rate_per_team_and_quarter():
    rate = ReferralRateFactory()
    assert_refused(
        "referral_rate_one_per_team_quarter",
        lambda: ReferralRate.objects.bulk_create(
            [
                ReferralRate(
                    team=rate.team,
                    quarter_start=rate.quarter_start,
                    referrals_per_week=3,
                    entered_by=rate.entered_by,
                )
            ]
        ),
    )


@refuses("referral_rate_not_negative")
def test_referrals_are_never_negative():
    rate = ReferralRateFactory()
    with pytest.raises(IntegrityError, match="referral_rate_not_negative"), transaction.atomic():
        ReferralRate.objects.filter(pk=rate.pk).update(referrals_per_week=-1)
