"""The next-up rota of a Specific stream, Core co-workers and a change of key worker
(partnership/rota.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnership import rota
from partnership.cases import CaseError
from partnership.models import (
    CaseState,
    CaseStep,
    CaseWorker,
    ChoiceOutcome,
    JoinedVia,
    RotaPick,
    StepKind,
    WorkerRole,
)
from planning.models import AbsenceKind, Activity, Allocation
from planning.quarters import Quarter
from tests.factories import (
    AbsenceFactory,
    CaseFactory,
    CaseWorkerFactory,
    JobPlanFactory,
    JobPlanLineFactory,
    RotaPickFactory,
    SpecificStreamFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


def this_quarter() -> Quarter:
    return Quarter.containing(timezone.localdate())


def make_stream(team, **kwargs):
    """A stream whose multiplier is 3 (2 appointments a session, 7.5 on average): 3.5 hours a week
    give 3 new cases a quarter."""
    defaults = {"average_appointments": Decimal("7.5"), "appointments_per_session": Decimal("2")}
    return SpecificStreamFactory(team=team, **{**defaults, **kwargs})


def on_rota(team, stream, *, last_name: str, hours: str = "3.5", lead=None, plan_from=None):
    """A clinician of the team whose agreed plan in force gives `hours` a week to the stream."""
    clinician = clinician_in(team)
    clinician.first_name, clinician.last_name = "Pat", last_name
    clinician.save(update_fields=["first_name", "last_name"])
    plan_kwargs = {"agreed_by": lead} if lead is not None else {}
    plan = JobPlanFactory(
        team=team,
        clinician=clinician,
        agreed=True,
        effective_from=plan_from or this_quarter().start,
        **plan_kwargs,
    )
    JobPlanLineFactory(
        plan=plan, activity=Activity.SPECIFIC, specific_stream=stream, hours_per_week=Decimal(hours)
    )
    JobPlanLineFactory(plan=plan, activity=Activity.CORE, hours_per_week=Decimal("14"))
    return clinician


def specific_case(team, stream, **kwargs):
    return CaseFactory(
        team=team,
        state=CaseState.AWAITING_SPECIFIC,
        choice_outcome=ChoiceOutcome.SPECIFIC,
        specific_stream=stream,
        **kwargs,
    )


@pytest.fixture
def stream(team):
    return make_stream(team)


# --- next_up -----------------------------------------------------------------------------------


def test_the_never_picked_go_first_by_name_then_the_longest_ago(team, team_lead, stream):
    young = on_rota(team, stream, last_name="Young", lead=team_lead)
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    today = timezone.localdate()

    assert rota.next_up(stream, today).next_up == adams  # never picked: by name
    RotaPickFactory(stream=stream, picked=adams, by=team_lead)
    assert rota.next_up(stream, today).next_up == young  # Young never picked
    RotaPickFactory(stream=stream, picked=young, by=team_lead)
    choice = rota.next_up(stream, today)
    assert choice.next_up == adams  # Adams's last pick is the older one
    assert [entry.clinician for entry in choice.entries] == [adams, young]
    assert choice.skipped == []


def test_only_clinicians_with_hours_for_the_stream_in_their_plan_in_force_are_on_the_rota(
    team, team_lead, stream
):
    other_stream = make_stream(team)
    on_rota(team, other_stream, last_name="Other", lead=team_lead)
    next_year = this_quarter().next().start
    on_rota(team, stream, last_name="Later", lead=team_lead, plan_from=next_year)  # not in force yet
    zero = on_rota(team, stream, last_name="Zero", hours="0", lead=team_lead)
    clinician_in(team)  # no plan at all
    choice = rota.next_up(stream, timezone.localdate())
    assert choice.entries == []
    assert choice.next_up is None
    assert "nobody has hours" in choice.message
    assert zero not in [entry.clinician for entry in choice.entries]


def test_someone_absent_today_is_skipped_with_the_reason(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    brown = on_rota(team, stream, last_name="Brown", lead=team_lead)
    today = timezone.localdate()
    AbsenceFactory(
        team=team,
        clinician=adams,
        kind=AbsenceKind.LONG_SICKNESS,
        starts_on=today,
        ends_on=today + timedelta(7),
    )
    choice = rota.next_up(stream, today)
    assert choice.next_up == brown
    [skip] = choice.skipped
    assert skip.clinician == adams
    assert skip.skip_reason.startswith("Away: long-term sickness until")
    # The day after the absence ends they are back.
    assert rota.next_up(stream, today + timedelta(days=8)).next_up in (adams, brown)


def test_someone_leaving_for_good_is_skipped_from_the_day_they_leave(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, kind=AbsenceKind.LEAVING, starts_on=today, ends_on=None)
    choice = rota.next_up(stream, today)
    assert choice.next_up is None
    assert "Away: leaving from" in choice.entries[0].skip_reason
    assert rota.next_up(stream, today - timedelta(days=1)).next_up == adams


def test_someone_at_their_quarterly_target_for_the_stream_is_skipped(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", hours="3.5", lead=team_lead)  # target 3
    brown = on_rota(team, stream, last_name="Brown", hours="7", lead=team_lead)  # target 6
    today = timezone.localdate()
    choice = rota.next_up(stream, today)
    assert [entry.target for entry in choice.entries] == [Fraction(3), Fraction(6)]
    for _ in range(3):
        CaseWorkerFactory(
            case=specific_case(team, stream),
            clinician=adams,
            role=WorkerRole.SPECIFIC_WORKER,
            specific_stream=stream,
            joined_on=today,
            via=JoinedVia.SPECIFIC_DIARY,
        )
    # A join last quarter does not count towards this quarter's.
    CaseWorkerFactory(
        case=specific_case(team, stream),
        clinician=brown,
        role=WorkerRole.SPECIFIC_WORKER,
        specific_stream=stream,
        joined_on=this_quarter().start - timedelta(days=1),
        via=JoinedVia.ROTA,
    )
    choice = rota.next_up(stream, today)
    assert choice.next_up == brown
    [skip] = choice.skipped
    assert skip.clinician == adams
    assert skip.taken == 3
    assert skip.skip_reason == f"At their {stream.name} target for {this_quarter().label}: 3 taken of 3"


def test_a_target_is_scaled_by_absence_in_the_quarter(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", hours="7", lead=team_lead)  # 6 a quarter
    quarter = this_quarter()
    # Away the first 13 / 2 weeks of the quarter (ended before today): half the target.
    AbsenceFactory(
        team=team,
        clinician=adams,
        starts_on=quarter.start,
        ends_on=quarter.start + timedelta(days=45),
        kind=AbsenceKind.MATERNITY,
    )
    [entry] = rota.next_up(stream, quarter.end).entries
    assert entry.target == Fraction(6) * (13 - Fraction(46, 7)) / 13


def test_someone_already_working_with_the_case_is_skipped(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    brown = on_rota(team, stream, last_name="Brown", lead=team_lead)
    case = specific_case(team, stream)
    CaseWorkerFactory(case=case, clinician=adams, role=WorkerRole.KEY_WORKER)
    choice = rota.next_up(stream, timezone.localdate(), case=case)
    assert choice.next_up == brown
    assert choice.skipped[0].skip_reason == "Already works with this case"


# --- assign_from_rota --------------------------------------------------------------------------


def test_assigning_from_the_rota_writes_the_pick_the_worker_and_the_step(team, team_lead, clinician, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    brown = on_rota(team, stream, last_name="Brown", lead=team_lead)
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, starts_on=today, ends_on=today, kind=AbsenceKind.OTHER)
    case = specific_case(team, stream)

    pick = rota.assign_from_rota(case, stream, clinician)

    assert (pick.picked, pick.next_up, pick.by, pick.override_reason) == (brown, brown, clinician, "")
    assert pick.skipped == [{"clinician": adams.pk, "name": "Pat Adams", "reason": pick.skipped[0]["reason"]}]
    assert pick.skipped[0]["reason"].startswith("Away:")
    worker = CaseWorker.objects.get(case=case)
    assert (worker.clinician, worker.role, worker.specific_stream, worker.via, worker.joined_on) == (
        brown,
        WorkerRole.SPECIFIC_WORKER,
        stream,
        JoinedVia.ROTA,
        today,
    )
    step = CaseStep.objects.get(case=case)
    assert (step.kind, step.from_state, step.to_state) == (
        StepKind.SPECIFIC_WORKER_JOINED,
        CaseState.AWAITING_SPECIFIC,
        CaseState.IN_PARTNERSHIP,
    )
    assert step.data == {"rota_pick": pick.pk}
    case.refresh_from_db()
    assert case.state == CaseState.IN_PARTNERSHIP


def test_a_case_in_partnership_can_take_another_specific_worker(team, team_lead, clinician, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=case, clinician=clinician, role=WorkerRole.KEY_WORKER)
    pick = rota.assign_from_rota(case, stream, clinician)
    assert pick.picked == adams
    assert CaseWorker.objects.filter(case=case, left_on__isnull=True).count() == 2


def test_nobody_free_is_refused_with_a_clear_message_and_nothing_written(team, team_lead, clinician, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, starts_on=today, ends_on=today, kind=AbsenceKind.OTHER)
    case = specific_case(team, stream)
    with pytest.raises(CaseError) as refused:
        rota.assign_from_rota(case, stream, clinician)
    assert refused.value.message.startswith(f"Nobody can take a {stream.name} case now: Pat Adams: away:")
    assert "A lead can override the rota" in refused.value.message
    assert not RotaPick.objects.exists()
    assert not CaseWorker.objects.exists()
    assert not CaseStep.objects.exists()
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_SPECIFIC


def test_an_empty_rota_is_refused(team, clinician, stream):
    with pytest.raises(CaseError, match="nobody has hours for"):
        rota.assign_from_rota(specific_case(team, stream), stream, clinician)


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (CaseState.AWAITING_FIRST_CORE, False),
        (CaseState.CHOICE_ATTENDED, False),
        (CaseState.AWAITING_SPECIFIC, True),
        (CaseState.IN_PARTNERSHIP, True),
    ],
)
def test_only_cases_waiting_for_specific_work_or_in_partnership_take_a_specific_worker(
    team, team_lead, clinician, stream, state, allowed
):
    on_rota(team, stream, last_name="Adams", lead=team_lead)
    case = CaseFactory(team=team, state=state)
    if allowed:
        rota.assign_from_rota(case, stream, clinician)
    else:
        with pytest.raises(CaseError, match="is not possible"):
            rota.assign_from_rota(case, stream, clinician)
        assert not RotaPick.objects.exists()


def test_a_stream_of_another_team_or_with_a_specific_diary_is_refused(team, other_team, clinician, stream):
    case = specific_case(team, stream)
    with pytest.raises(CaseError) as refused:
        rota.assign_from_rota(case, make_stream(other_team), clinician)
    assert refused.value.field == "stream"
    diary_stream = make_stream(team, allocation=Allocation.DIARY)
    with pytest.raises(CaseError, match="Specific diary") as refused:
        rota.assign_from_rota(case, diary_stream, clinician)
    assert refused.value.field == "stream"


def test_a_lead_overrides_the_rota_with_a_reason(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    brown = on_rota(team, stream, last_name="Brown", lead=team_lead)
    case = specific_case(team, stream)
    pick = rota.assign_from_rota(
        case, stream, team_lead, override_to=brown, override_reason="Knows the family"
    )
    assert (pick.picked, pick.next_up, pick.override_reason) == (brown, adams, "Knows the family")
    assert CaseWorker.objects.get(case=case).via == JoinedVia.ROTA_OVERRIDE
    assert "rota overridden: Knows the family" in CaseStep.objects.get(case=case).detail


def test_an_override_to_someone_already_on_the_case_is_refused(team, team_lead, clinician, stream):
    on_rota(team, stream, last_name="Adams", lead=team_lead)
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=case, clinician=clinician, role=WorkerRole.KEY_WORKER)
    with pytest.raises(CaseError, match="already works with this case") as refused:
        rota.assign_from_rota(case, stream, team_lead, override_to=clinician, override_reason="Knows them")
    assert refused.value.field == "override_to"
    assert not RotaPick.objects.exists()


def test_naming_whoever_is_next_is_not_an_override(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    case = specific_case(team, stream)
    pick = rota.assign_from_rota(case, stream, team_lead, override_to=adams)
    assert pick.override_reason == ""
    assert CaseWorker.objects.get(case=case).via == JoinedVia.ROTA


def test_a_lead_may_override_when_nobody_is_free(team, team_lead, stream):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, starts_on=today, ends_on=today, kind=AbsenceKind.OTHER)
    other = clinician_in(team)
    pick = rota.assign_from_rota(
        specific_case(team, stream),
        stream,
        team_lead,
        override_to=other,
        override_reason="Covering the leave",
    )
    assert (pick.picked, pick.next_up) == (other, None)


def test_an_override_needs_a_lead_a_reason_and_a_clinician_of_the_team(
    team, team_lead, clinician, outsider, stream
):
    on_rota(team, stream, last_name="Adams", lead=team_lead)
    brown = on_rota(team, stream, last_name="Brown", lead=team_lead)
    case = specific_case(team, stream)
    with pytest.raises(PermissionDenied):
        rota.assign_from_rota(case, stream, clinician, override_to=brown, override_reason="Because")
    with pytest.raises(CaseError) as refused:
        rota.assign_from_rota(case, stream, team_lead, override_to=brown, override_reason="  ")
    assert refused.value.field == "override_reason"
    with pytest.raises(CaseError) as refused:
        rota.assign_from_rota(case, stream, team_lead, override_to=outsider, override_reason="Because")
    assert refused.value.field == "override_to"
    assert not RotaPick.objects.exists()
    assert not CaseWorker.objects.exists()


# --- Core co-workers and the key worker --------------------------------------------------------


def test_a_core_coworker_joins_and_counts_towards_their_new_core_partnerships(team, clinician, team_lead):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(
        case=case, clinician=clinician, role=WorkerRole.KEY_WORKER, joined_on=timezone.localdate()
    )
    second = clinician_in(team)
    worker = rota.add_core_coworker(case, second, team_lead)
    assert (worker.role, worker.via, worker.added_by, worker.specific_stream) == (
        WorkerRole.CORE_COWORKER,
        JoinedVia.LEAD,
        team_lead,
        None,
    )
    quarter = this_quarter()
    assert rota.new_core_partnerships(second, quarter.start, quarter.end) == 1
    assert rota.new_core_partnerships(clinician, quarter.start, quarter.end) == 1
    assert rota.new_core_partnerships(second, quarter.next().start, quarter.next().end) == 0
    # Joining twice at once is refused.
    with pytest.raises(CaseError, match="already works with this case"):
        rota.add_core_coworker(case, second, team_lead)


def test_new_core_partnerships_count_key_and_coworker_joins_in_the_period_not_specific_work(team, clinician):
    quarter = this_quarter()
    for role, joined_on in (
        (WorkerRole.KEY_WORKER, quarter.start),
        (WorkerRole.CORE_COWORKER, quarter.end),
        (WorkerRole.KEY_WORKER, quarter.start - timedelta(days=1)),
    ):
        CaseWorkerFactory(case=CaseFactory(team=team), clinician=clinician, role=role, joined_on=joined_on)
    CaseWorkerFactory(
        case=CaseFactory(team=team),
        clinician=clinician,
        role=WorkerRole.SPECIFIC_WORKER,
        specific_stream=make_stream(team),
        joined_on=quarter.start,
    )
    assert rota.new_core_partnerships(clinician, quarter.start, quarter.end) == 2


def test_a_coworker_must_be_of_the_team_and_the_case_in_partnership(team, clinician, outsider):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    with pytest.raises(CaseError) as refused:
        rota.add_core_coworker(case, outsider, clinician)
    assert refused.value.field == "clinician"
    waiting = CaseFactory(team=team, state=CaseState.AWAITING_FIRST_CORE)
    with pytest.raises(CaseError, match="joins a case in Partnership"):
        rota.add_core_coworker(waiting, clinician_in(team), clinician)
    assert not CaseWorker.objects.exists()


def test_changing_the_key_worker_ends_the_old_one(team, clinician, team_lead):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    old = CaseWorkerFactory(
        case=case,
        clinician=clinician,
        role=WorkerRole.KEY_WORKER,
        joined_on=timezone.localdate() - timedelta(30),
    )
    new = clinician_in(team)
    worker = rota.change_key_worker(case, new, team_lead)
    old.refresh_from_db()
    assert old.left_on == timezone.localdate()
    assert (worker.clinician, worker.role, worker.left_on) == (new, WorkerRole.KEY_WORKER, None)
    assert (
        CaseWorker.objects.filter(case=case, role=WorkerRole.KEY_WORKER, left_on__isnull=True).get() == worker
    )
    with pytest.raises(CaseError, match="already the key worker"):
        rota.change_key_worker(case, new, team_lead)


def test_a_coworker_can_become_the_key_worker(team, clinician, team_lead):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=case, clinician=clinician, role=WorkerRole.KEY_WORKER)
    second = clinician_in(team)
    co = CaseWorkerFactory(case=case, clinician=second, role=WorkerRole.CORE_COWORKER)
    rota.change_key_worker(case, second, team_lead)
    co.refresh_from_db()
    assert co.left_on is not None
    current = {(w.clinician_id, w.role) for w in CaseWorker.objects.filter(case=case, left_on__isnull=True)}
    assert current == {(second.pk, WorkerRole.KEY_WORKER)}


def test_changing_the_key_worker_is_all_or_nothing(team, clinician, team_lead, outsider):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    old = CaseWorkerFactory(case=case, clinician=clinician, role=WorkerRole.KEY_WORKER)
    with pytest.raises(CaseError):
        rota.change_key_worker(case, outsider, team_lead)
    old.refresh_from_db()
    assert old.left_on is None
    closed = CaseFactory(
        team=team, state=CaseState.LET_GO, closed_on=timezone.localdate(), close_reason="Goals met"
    )
    with pytest.raises(CaseError, match="nobody can join"):
        rota.change_key_worker(closed, clinician, team_lead)


# --- Fairness, as a property --------------------------------------------------------------------

# 20 mixes of 4-6 people x 36 requests: enough for the smallest targets (3) to be reached and for
# absences to cover everyone at once, at two fifths of the cost of 30 x 60.
REQUESTS = 36


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(
        st.tuples(
            st.sampled_from(["3.5", "7", "10.5", "35"]),  # targets 3, 6, 9 and 30 a quarter
            st.sets(st.integers(0, REQUESTS - 1), max_size=20),  # the requests they are away for
        ),
        min_size=4,
        max_size=6,
    )
)
def test_work_spreads_fairly_and_nobody_away_or_at_target_is_picked(team, team_lead, people):
    today = timezone.localdate()
    with transaction.atomic():
        stream = make_stream(team)
        clinicians = [
            on_rota(team, stream, last_name=f"Clinician {index}", hours=hours, lead=team_lead)
            for index, (hours, _) in enumerate(people)
        ]
        picks: Counter = Counter()
        ever_skipped: set[int] = set()
        for request in range(REQUESTS):
            away = [c for c, (_, absent) in zip(clinicians, people, strict=True) if request in absent]
            absences = [
                AbsenceFactory(team=team, clinician=c, kind=AbsenceKind.OTHER, starts_on=today, ends_on=today)
                for c in away
            ]
            case = specific_case(team, stream, created_by=team_lead)
            refusal = None
            try:
                pick = rota.assign_from_rota(case, stream, team_lead)
            except CaseError as refused:
                refusal = refused.message
            finally:
                for absence in absences:
                    absence.delete()
            if refusal is not None:
                # Nobody free: everyone on the rota was away or at target, and the message says so.
                assert refusal.startswith("Nobody can take")
                assert all(f"Clinician {i}" in refusal for i in range(len(clinicians)))
                ever_skipped |= {c.pk for c in clinicians}
                continue
            choice = pick.rota_choice
            ever_skipped |= {entry.clinician.pk for entry in choice.entries if entry.skip_reason}
            assert pick.picked == choice.next_up
            assert pick.picked not in away
            entry = next(e for e in choice.entries if e.clinician == pick.picked)
            assert not entry.skip_reason
            assert picks[pick.picked.pk] == entry.taken < entry.target  # not yet at their target
            assert len(pick.skipped) == len(choice.skipped)
            assert all(skip["reason"] for skip in pick.skipped)
            assert all(e.skip_reason for e in choice.entries if e.clinician.pk in {c.pk for c in away})
            picks[pick.picked.pk] += 1
        always_free = [c.pk for c in clinicians if c.pk not in ever_skipped]
        counts = [picks[pk] for pk in always_free]
        if counts:
            assert max(counts) - min(counts) <= 1, (counts, people)
        transaction.set_rollback(True)
