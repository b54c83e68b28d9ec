"""Publishing each clinician's quarterly target of first Core slots, in the database (the Celery
worker's part is in tests/worker/)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from accounts.models import Membership, Role
from diary import publication
from diary.models import Notice, OutboxEmail, PublicationRun, QuarterTarget, ReminderSent, TargetChange
from planning.models import Activity
from planning.quarters import Quarter
from tests.factories import (
    ClinicianProfileFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    MembershipFactory,
    SlotFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db
Q1_2027 = Quarter(2027, 1)


def with_plan(team, core_hours: str, *, effective_from: date = date(2027, 1, 1), version: int = 1):
    membership = MembershipFactory(team=team)
    ClinicianProfileFactory(user=membership.user)
    plan = JobPlanFactory(
        team=team, clinician=membership.user, agreed=True, effective_from=effective_from, version=version
    )
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal(core_hours))
    JobPlanLineFactory(
        plan=plan, activity=Activity.OTHER, hours_per_week=Decimal("37.5") - Decimal(core_hours)
    )
    return membership.user


def test_publishing_writes_one_target_per_clinician_and_lists_those_without_a_plan(
    organisation, team, other_team
):
    nine = with_plan(team, "10.5")  # 9 a quarter
    eleven = with_plan(other_team, "11")  # 66/7: 9 in Q1 of the year's 9, 9, 10, 10
    planless = clinician_in(team)

    run = publication.publish_quarter(organisation=organisation, quarter=Q1_2027)

    assert (run.status, run.done, run.total) == (PublicationRun.Status.COMPLETED, 3, 3)
    targets = {t.clinician: t for t in QuarterTarget.objects.filter(run=run)}
    assert targets[nine].target == 9
    assert (targets[eleven].target, targets[eleven].exact_target) == (9, "66/7")
    assert (targets[planless].target, targets[planless].plan) == (None, None)
    assert Notice.objects.filter(user=planless, text__contains="no agreed job plan").exists()
    assert OutboxEmail.objects.filter(to=nine.email, subject__contains="Your first Core slots").count() == 1


def test_three_runs_in_a_row_publish_each_target_and_notice_once(organisation, team):
    clinician = with_plan(team, "7")
    for _ in range(3):
        publication.publish_quarter(organisation=organisation, quarter=Q1_2027)
    assert PublicationRun.objects.count() == 1
    assert QuarterTarget.objects.filter(clinician=clinician).count() == 1
    assert Notice.objects.filter(user=clinician).count() == 1


def test_republishing_after_a_plan_changes_records_and_tells_what_changed(organisation, team, admin):
    clinician = with_plan(team, "10.5")
    publication.publish_quarter(organisation=organisation, quarter=Q1_2027)
    plan = JobPlanFactory(
        team=team, clinician=clinician, agreed=True, effective_from=Q1_2027.start, version=2
    )
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal("14"))
    JobPlanLineFactory(plan=plan, activity=Activity.OTHER, hours_per_week=Decimal("23.5"))

    changes = publication.republish_quarter(organisation=organisation, quarter=Q1_2027, by=admin)

    assert [(c.clinician, c.old, c.new) for c in changes] == [(clinician, 9, 12)]
    assert QuarterTarget.objects.get(clinician=clinician).target == 12
    assert TargetChange.objects.get().changed_by == admin


def test_someone_joining_without_a_plan_is_told_but_is_not_a_changed_target(organisation, team, admin):
    with_plan(team, "10.5")
    publication.publish_quarter(organisation=organisation, quarter=Q1_2027)
    newcomer = clinician_in(team)
    joined_with_plan = with_plan(team, "7")

    changes = publication.republish_quarter(organisation=organisation, quarter=Q1_2027, by=admin)

    assert [(c.clinician, c.old, c.new) for c in changes] == [(joined_with_plan, None, 6)]
    assert QuarterTarget.objects.get(clinician=newcomer).target is None  # on the list of those without a plan
    assert "no agreed job plan" in Notice.objects.get(user=newcomer).text


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2027, 2, 17), None),  # 43 days before 1 April
        (date(2027, 2, 18), Quarter(2027, 1)),  # 42 days before: publication day
        (date(2027, 3, 31), Quarter(2027, 1)),  # missed until the last day: still caught up
        (date(2027, 4, 1), None),  # Q1 has started; Q2 (1 July) is not due until 20 May
        (date(2027, 5, 20), Quarter(2027, 2)),
    ],
)
def test_the_next_quarter_is_due_from_its_publication_day(today, due):
    assert publication.quarter_due(today=today, start_month=4) == due


def test_the_daily_job_publishes_when_due_and_reminds_those_short_once_per_point(organisation, team):
    short = with_plan(team, "3.5")  # 3 a quarter, none put in
    enough = with_plan(team, "3.5")
    for day in (6, 7, 8):
        SlotFactory(team=team, clinicians=[enough], starts_at=publication.at(date(2027, 4, day), time(10)))
    leads = set(Membership.objects.filter(team=team, role=Role.TEAM_LEAD).values_list("user_id", flat=True))

    publication.publish_due_targets(today=date(2027, 2, 18))
    assert PublicationRun.objects.get().status == PublicationRun.Status.COMPLETED
    assert not ReminderSent.objects.exists()  # before the first reminder point

    for day in (date(2027, 3, 11), date(2027, 3, 11), date(2027, 3, 12)):  # 21 days before, again, a day on
        publication.publish_due_targets(today=day)
    assert set(ReminderSent.objects.values_list("user", "days_before", "kind")) == {
        (short.pk, 21, "clinician"),
        *((lead, 21, "lead") for lead in leads),
    }
    publication.publish_due_targets(today=date(2027, 3, 25))  # 7 days before
    assert ReminderSent.objects.filter(user=short, days_before=7).count() == 1
    assert not ReminderSent.objects.filter(user=enough).exists()
