"""A team lead writes, versions and agrees job plans; nothing is ever lost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from planning import job_plans
from planning.models import Activity, JobPlan, JobPlanLine, PlanStatus
from tests.factories import SpecificStreamFactory

pytestmark = pytest.mark.django_db
Q4 = date(2027, 1, 1)
Q1 = date(2027, 4, 1)


def full_time_week(**changes: Decimal) -> job_plans.PlanHours:
    week = {
        (Activity.CHOICE, None): Decimal("7"),
        (Activity.CORE, None): Decimal("10.5"),
        (Activity.TEAM_MEETING, None): Decimal("2"),
        (Activity.SUPERVISION, None): Decimal("1.5"),
        (Activity.OTHER, None): Decimal("16.5"),
    }
    week.update({(activity, None): hours for activity, hours in changes.items()})
    return week


def test_saving_makes_a_new_version_and_keeps_the_old(team_lead, choice_clinician, team):
    first = job_plans.save_plan(
        clinician=choice_clinician, team=team, effective_from=Q4, hours=full_time_week(), by=team_lead
    )
    second = job_plans.save_plan(
        clinician=choice_clinician,
        team=team,
        effective_from=Q4,
        hours=full_time_week(core=Decimal("14"), other=Decimal("13")),
        by=team_lead,
    )
    assert (first.version, second.version) == (1, 2)
    assert job_plans.plan_hours(first)[Activity.CORE, None] == Decimal("10.5")
    assert job_plans.plan_hours(second)[Activity.CORE, None] == Decimal("14")
    assert JobPlan.objects.filter(clinician=choice_clinician).count() == 2


def test_a_plan_that_does_not_add_up_is_refused_and_nothing_is_written(team_lead, choice_clinician, team):
    plans, lines = JobPlan.objects.count(), JobPlanLine.objects.count()
    with pytest.raises(
        job_plans.PlanError, match="adds up to 38.5 hours a week, but Sam Clinician is contracted for 37.5"
    ):
        job_plans.save_plan(
            clinician=choice_clinician,
            team=team,
            effective_from=Q4,
            hours=full_time_week(core=Decimal("11.5")),
            by=team_lead,
        )
    assert (JobPlan.objects.count(), JobPlanLine.objects.count()) == (plans, lines)


@pytest.mark.parametrize(
    ("hours", "message"), [(Decimal("-1"), "cannot be negative"), (Decimal("169"), "168 or fewer")]
)
def test_negative_or_impossible_hours_are_named_by_their_line(hours, message):
    problems = job_plans.plan_problems(
        hours=full_time_week(travel=hours), contracted_hours=Decimal("37.5"), clinician_name="Sam"
    )
    assert [(p.field, message in p.message) for p in problems] == [("hours_travel", True)]


def test_agreeing_puts_a_plan_in_force_and_supersedes_the_one_agreed_before(
    team_lead, choice_clinician, team
):
    first = job_plans.save_plan(
        clinician=choice_clinician, team=team, effective_from=Q4, hours=full_time_week(), by=team_lead
    )
    assert job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q4) is None
    job_plans.agree_plan(plan=first, by=team_lead)
    assert job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q4) == first

    second = job_plans.save_plan(
        clinician=choice_clinician,
        team=team,
        effective_from=Q4,
        hours=full_time_week(core=Decimal("14"), other=Decimal("13")),
        by=team_lead,
    )
    second = job_plans.agree_plan(plan=second, by=team_lead)
    first.refresh_from_db()
    assert first.status == PlanStatus.SUPERSEDED
    assert job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q4) == second
    assert second.agreed_by == team_lead
    assert second.agreed_at is not None


def test_a_plan_from_next_quarter_leaves_this_quarters_plan_in_force(team_lead, choice_clinician, team):
    now = job_plans.agree_plan(
        plan=job_plans.save_plan(
            clinician=choice_clinician, team=team, effective_from=Q4, hours=full_time_week(), by=team_lead
        ),
        by=team_lead,
    )
    later = job_plans.agree_plan(
        plan=job_plans.save_plan(
            clinician=choice_clinician, team=team, effective_from=Q1, hours=full_time_week(), by=team_lead
        ),
        by=team_lead,
    )
    assert job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q4) == now
    assert job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=Q1) == later
    assert (
        job_plans.plan_in_force(clinician=choice_clinician, team=team, quarter_start=date(2027, 7, 1))
        == later
    )


def test_only_the_latest_draft_can_be_agreed(team_lead, choice_clinician, team):
    old = job_plans.save_plan(
        clinician=choice_clinician, team=team, effective_from=Q4, hours=full_time_week(), by=team_lead
    )
    job_plans.save_plan(
        clinician=choice_clinician, team=team, effective_from=Q4, hours=full_time_week(), by=team_lead
    )
    with pytest.raises(job_plans.PlanError, match="newer version"):
        job_plans.agree_plan(plan=old, by=team_lead)


def test_specific_work_is_a_line_per_stream(team_lead, choice_clinician, team):
    stream = SpecificStreamFactory(team=team, name="Eating disorders", average_appointments=20)
    hours = full_time_week(other=Decimal("13"))
    hours[Activity.SPECIFIC, stream.pk] = Decimal("3.5")
    plan = job_plans.save_plan(
        clinician=choice_clinician, team=team, effective_from=Q4, hours=hours, by=team_lead
    )
    assert plan.lines.get(activity=Activity.SPECIFIC).specific_stream == stream
