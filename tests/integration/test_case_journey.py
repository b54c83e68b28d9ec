"""A family's journey is one table of steps: every state x step is either a move the table allows
(the case changes and the step is recorded with who and when) or refused with a message saying
why, changing no row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from partnership import cases
from partnership.models import (
    CLOSED_STATES,
    Case,
    CaseState,
    CaseStep,
    CaseWorker,
    ChoiceOutcome,
    StepKind,
    WorkerRole,
)
from tests.factories import CaseFactory, SpecificStreamFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db

REFERRED_ON = date(2026, 9, 7)


def case_in(team, state: str) -> Case:
    """A case put straight into `state`, with the facts that state carries."""
    closed = state in CLOSED_STATES
    return CaseFactory(
        team=team,
        state=state,
        referral_date=REFERRED_ON,
        choice_date=None,
        choice_outcome="",
        closed_on=REFERRED_ON + timedelta(days=30) if closed else None,
        close_reason="Goals met" if closed else "",
    )


def facts_for(kind: str, team, clinician) -> cases.Facts:
    return cases.Facts(
        detail="Family asked for it",
        outcome=ChoiceOutcome.ANOTHER_AGENCY,
        agency="School nursing",
        stream=SpecificStreamFactory(team=team) if kind == StepKind.TO_SPECIFIC else None,
        clinician=clinician,
    )


def snapshot(case: Case) -> tuple:
    return (
        tuple(Case.objects.filter(pk=case.pk).values_list()),
        CaseStep.objects.count(),
        CaseWorker.objects.count(),
    )


@pytest.mark.parametrize("state", CaseState.values)
@pytest.mark.parametrize("kind", StepKind.values)
def test_every_state_and_step(team, state, kind):
    clinician = clinician_in(team)
    case = case_in(team, state)
    on = timezone.localdate() - timedelta(days=1)
    moves = cases.TRANSITIONS[kind]
    before = snapshot(case)

    if state not in moves:
        with pytest.raises(cases.CaseError) as refused:
            cases.take_step(case=case, kind=kind, by=clinician, on=on, facts=facts_for(kind, team, clinician))
        assert cases.in_a_sentence(CaseState(state).label) in refused.value.message
        assert "not possible" in refused.value.message
        assert snapshot(case) == before
        return

    step = cases.take_step(case=case, kind=kind, by=clinician, on=on, facts=facts_for(kind, team, clinician))
    case.refresh_from_db()
    assert case.state == moves[state]
    assert (step.from_state, step.to_state, step.kind) == (state, moves[state], kind)
    assert (step.by, step.happened_on) == (clinician, on)
    assert step.recorded_at is not None


def test_the_table_reaches_every_state_and_every_closed_state_only_reopens_by_re_referral():
    reached = {target for moves in cases.TRANSITIONS.values() for target in moves.values()}
    assert reached | {CaseState.REFERRED} == set(CaseState.values)
    for state in CLOSED_STATES:
        assert cases.next_steps(state) == [StepKind.RE_REFER]


def test_a_whole_journey_from_referral_to_let_go(team):
    clinician = clinician_in(team)
    today = timezone.localdate()
    case = cases.receive_referral(
        team=team,
        family_reference="RX1",
        child_first_name="Isla",
        child_last_name="Khan",
        child_date_of_birth=date(2014, 3, 1),
        referral_date=today - timedelta(weeks=12),
        referrer="GP, Riverside Surgery",
        nhs_number="943 476 5919",
        by=clinician,
    )
    assert (case.state, case.nhs_number) == (CaseState.REFERRED, "9434765919")
    for kind, weeks_ago in (
        (StepKind.ACCEPT, 12),
        (StepKind.BOOK_CHOICE, 11),
        (StepKind.CHOICE_DNA, 9),
        (StepKind.BOOK_CHOICE, 9),
        (StepKind.CHOICE_ATTENDED, 8),
        (StepKind.KEEP_AT_CHOICE, 8),
        (StepKind.REVIEW, 2),
    ):
        cases.take_step(case=case, kind=kind, by=clinician, on=today - timedelta(weeks=weeks_ago))
    assert case.state == CaseState.IN_PARTNERSHIP
    assert CaseWorker.objects.get(case=case).role == WorkerRole.KEY_WORKER

    with pytest.raises(cases.CaseError, match="Say why"):
        cases.take_step(case=case, kind=StepKind.LET_GO, by=clinician)
    cases.take_step(case=case, kind=StepKind.LET_GO, by=clinician, facts=cases.Facts(detail="Goals met"))
    case.refresh_from_db()
    assert (case.state, case.closed_on, case.close_reason) == (CaseState.LET_GO, today, "Goals met")
    assert CaseWorker.objects.get(case=case).left_on == today
    assert [s.kind for s in case.steps.all()][-1] == StepKind.LET_GO

    again = cases.re_refer(case=case, referral_date=today, by=clinician)
    assert (again.state, again.episode, again.previous_episode) == (CaseState.AWAITING_CHOICE, 2, case)
    with pytest.raises(cases.CaseError):
        cases.re_refer(case=case, referral_date=today, by=clinician)  # one new episode per re-referral


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9434765919", True),
        ("4010232137", True),
        ("9434765918", False),
        ("943476591", False),
        ("94347659１9", False),
    ],
)
def test_nhs_numbers_are_checked_by_their_check_digit(number, valid):
    assert cases.nhs_number_is_valid(number) is valid


def test_a_step_in_the_future_or_before_the_referral_is_refused(team):
    clinician = clinician_in(team)
    case = case_in(team, CaseState.REFERRED)
    for on in (timezone.localdate() + timedelta(days=1), REFERRED_ON - timedelta(days=1)):
        with pytest.raises(cases.CaseError):
            cases.take_step(case=case, kind=StepKind.ACCEPT, by=clinician, on=on)
    assert CaseStep.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_step_said_to_be_locked_must_run_in_the_transaction_that_locked_the_case(team, choice_clinician):
    """`locked=True` skips the savepoint, which is only safe inside the caller's transaction."""
    case = CaseFactory(team=team)
    with pytest.raises(TypeError, match="inside the transaction"):
        cases.take_step(case=case, kind=StepKind.BOOK_FIRST_CORE, by=choice_clinician, locked=True)
    assert not case.steps.exists()
