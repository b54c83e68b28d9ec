"""The demo year of families: believable shares, every stage of the journey reached, and each
case's state the one its recorded steps lead to."""

from __future__ import annotations

from collections import Counter
from statistics import mean

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from accounts.demo import seed_demo
from diary.demo import seed_diary_demo
from diary.models import Appointment, AppointmentKind, AppointmentStatus
from partnership import cases
from partnership.demo import PREFIX, seed_case_demo
from partnership.models import Case, CaseState, CaseStep, ChoiceOutcome, StepKind
from planning.demo import seed_planning_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, seeded once for this module's tests (and removed after them)."""
    with django_db_blocker.unblock():
        from django.db import connection

        today = timezone.localdate()
        seed_demo()
        seed_planning_demo(today=today)
        seed_diary_demo(today=today)
        seed_case_demo(today=today)
        yield today
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            # The apps' rows only: content types and permissions are the test database's own.
            mine = (
                "accounts_",
                "planning_",
                "diary_",
                "partnership_",
                "pghistory_",
                "django_session",
                "axes_",
            )
            tables = [row[0] for row in cursor.fetchall() if row[0].startswith(mine)]
            cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


def test_every_stage_of_the_journey_is_in_the_demo(demo):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)


def test_each_cases_state_is_where_its_steps_lead(demo):
    for case in Case.objects.prefetch_related("steps"):
        state = CaseState.REFERRED
        for step in case.steps.all():
            assert step.from_state == state, (case, step)
            assert cases.TRANSITIONS[step.kind][state] == step.to_state
            state = step.to_state
        assert case.state == state, case


def test_the_shares_are_believable(demo):
    year = Case.objects.filter(family_reference__startswith=PREFIX)
    seen = year.filter(choice_outcome__gt="").exclude(choice_outcome=ChoiceOutcome.CHOICE_PLUS)
    to_core = seen.filter(choice_outcome=ChoiceOutcome.CORE).count() / seen.count()
    assert 0.55 <= to_core <= 0.75  # about two thirds go on to Core Partnership

    choices = CaseStep.objects.filter(case__in=year, kind__in=[StepKind.CHOICE_ATTENDED, StepKind.CHOICE_DNA])
    kinds = Counter(choices.values_list("kind", flat=True))
    assert 0.02 <= kinds[StepKind.CHOICE_DNA] / sum(kinds.values()) <= 0.09  # about 5% miss Choice


def test_core_cases_last_about_seven_and_a_half_appointments_with_a_long_tail(demo):
    closed = (
        Case.objects.filter(
            family_reference__startswith=PREFIX, state=CaseState.LET_GO, choice_outcome=ChoiceOutcome.CORE
        )
        .annotate(
            attended=Count(
                "appointments",
                filter=Q(
                    appointments__status=AppointmentStatus.ATTENDED,
                    appointments__kind__in=[AppointmentKind.FIRST_CORE, AppointmentKind.FOLLOW_UP],
                ),
            )
        )
        .values_list("attended", flat=True)
    )
    lengths = list(closed)
    assert len(lengths) >= 30
    assert 6 <= mean(lengths) <= 9
    assert max(lengths) >= 14  # the long tail


def test_seeding_the_case_demo_again_adds_nothing(demo):
    before = (Case.objects.count(), CaseStep.objects.count(), Appointment.objects.count())
    seed_case_demo(today=demo)
    assert (Case.objects.count(), CaseStep.objects.count(), Appointment.objects.count()) == before


def test_families_let_go_after_core_mostly_improved_on_their_outcome_measures(demo):
    from partnership.measures import score_changes

    closed = Case.objects.filter(
        family_reference__startswith=PREFIX, state=CaseState.LET_GO, scores__point="end"
    ).distinct()
    improved = [row.improved for case in closed for row in score_changes(case) if row.change is not None]
    assert len(improved) >= 20
    assert sum(improved) / len(improved) >= 0.6


def test_every_dashboard_figure_equals_a_naive_recount_of_the_demo(demo):
    """The quarterly figures against a recount done the slow, obvious way in Python, row by row."""
    from dashboard import quarterly
    from diary.models import CANCELLED, AppointmentSlot, ClinicianTime, Slot, SlotKind, SlotStatus
    from partnership.models import CaseWorker, WorkerRole
    from planning.quarters import Quarter

    now = timezone.now()
    teams = list({case.team for case in Case.objects.select_related("team__organisation")})
    quarter = Quarter.containing(demo, start_month=teams[0].organisation.financial_year_start_month)
    quarters = quarterly.last_quarters(quarter, 4)
    found = quarterly.activities(teams, quarters, now=now)
    links = list(AppointmentSlot.objects.select_related("appointment"))
    times = list(ClinicianTime.objects.filter(slot__isnull=False))
    for team in teams:
        for q in quarters:
            starts, ends = quarterly.bounds(q)
            slots = [
                s
                for s in Slot.objects.filter(team=team, kind=SlotKind.FIRST_CORE)
                if starts <= s.starts_at < ends and s.status != SlotStatus.REMOVED
            ]

            def counts(chosen):
                ids = {s.pk for s in chosen}
                statuses = [link.appointment.status for link in links if link.slot_id in ids]
                return quarterly.SlotCounts(
                    offered=len(chosen),
                    booked=sum(1 for s in chosen if s.status == SlotStatus.BOOKED),
                    attended=len(
                        {k.slot_id for k in links if k.slot_id in ids and k.appointment.status == "attended"}
                    ),
                    dna=len({k.slot_id for k in links if k.slot_id in ids and k.appointment.status == "dna"}),
                    cancelled=sum(1 for status in statuses if status in CANCELLED),
                    reoffered=sum(1 for s in chosen if s.reoffer_of_id),
                    left_unbooked=sum(
                        1 for s in chosen if s.status == SlotStatus.VACANT and s.starts_at < now
                    ),
                    lost=sum(1 for s in chosen if s.status == SlotStatus.LOST),
                )

            activity = found[team.pk, q]
            assert activity.slots == counts(slots), (team, q)
            for row in activity.clinicians:
                mine = [
                    s
                    for s in slots
                    if any(t.slot_id == s.pk and t.clinician_id == row.clinician.pk for t in times)
                ]
                assert row.slots == counts(mine), (team, q, row.clinician)
                joined = {
                    w.case_id
                    for w in CaseWorker.objects.filter(clinician=row.clinician, case__team=team)
                    if w.role in (WorkerRole.KEY_WORKER, WorkerRole.CORE_COWORKER)
                    and q.start <= w.joined_on < q.next().start
                }
                assert row.new_core_partnerships == len(joined)
            seen_at_choice = [
                (c.choice_date - c.referral_date).days
                for c in Case.objects.filter(team=team)
                if c.choice_date and q.start <= c.choice_date < q.next().start
            ]
            assert sorted(activity.referral_to_choice.days) == sorted(seen_at_choice)
            accepted = [
                c
                for c in Case.objects.filter(team=team)
                if c.accepted_on and q.start <= c.accepted_on < q.next().start
            ]
            assert activity.accepted_referrals == len(accepted)
            steps = [
                s
                for s in CaseStep.objects.filter(case__team=team)
                if q.start <= s.happened_on < q.next().start
            ]
            assert activity.choice_used == sum(1 for s in steps if s.kind == StepKind.CHOICE_ATTENDED)
            assert activity.choice_missed == sum(1 for s in steps if s.kind == StepKind.CHOICE_DNA)
            assert activity.to_core == sum(
                1 for s in steps if s.kind in (StepKind.TO_CORE, StepKind.KEEP_AT_CHOICE)
            )
