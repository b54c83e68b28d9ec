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
                "dashboard_",
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
    from dashboard import quarterly, recount
    from planning.quarters import Quarter

    now = timezone.now()
    teams = list({case.team for case in Case.objects.select_related("team__organisation")})
    quarter = Quarter.containing(demo, start_month=teams[0].organisation.financial_year_start_month)
    quarters = quarterly.last_quarters(quarter, 4)
    found = quarterly.activities(teams, quarters, now=now)
    assert sum(found[team.pk, quarter].slots.offered for team in teams) > 0
    assert recount.differences(found, teams, quarters, now=now) == []


def test_the_recount_finds_a_figure_that_is_wrong(demo):
    from dataclasses import replace

    from dashboard import quarterly, recount
    from planning.quarters import Quarter

    now = timezone.now()
    teams = list({case.team for case in Case.objects.select_related("team__organisation")})
    quarter = Quarter.containing(demo, start_month=teams[0].organisation.financial_year_start_month)
    found = quarterly.activities(teams, [quarter], now=now)
    wrong = found[teams[0].pk, quarter]
    found[teams[0].pk, quarter] = replace(
        wrong, slots=replace(wrong.slots, dna=wrong.slots.dna + 1), choice_used=wrong.choice_used + 2
    )
    problems = recount.differences(found, teams, [quarter], now=now)
    assert len(problems) == 2, problems
    assert f"{teams[0].name} {quarter.label}: first Core slots is" in problems[0]
    assert "Choice used" in problems[1]
