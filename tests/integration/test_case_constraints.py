"""The case journey's invariants hold in the database: writes around `partnership/cases.py` (queryset
updates, bulk creates) are refused."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from diary.models import AppointmentKind, ClinicianTime
from partnership.models import (
    CarePlanLetter,
    Case,
    CaseState,
    CaseWorker,
    ChoiceOutcome,
    OutcomeMeasure,
    Review,
    RotaPick,
    WorkerRole,
)
from tests.constraints import assert_refused, refuses
from tests.factories import (
    AppointmentFactory,
    CarePlanLetterFactory,
    CaseFactory,
    CaseWorkerFactory,
    OutcomeMeasureFactory,
    OutcomeScoreFactory,
    ReviewFactory,
    RotaPickFactory,
    SpecificStreamFactory,
    UserFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


@refuses("case_closed_says_when_and_why")
def test_a_closed_case_says_when_and_why(team):
    case = CaseFactory(team=team)
    assert_refused(
        "case_closed_says_when_and_why",
        lambda: Case.objects.filter(pk=case.pk).update(state=CaseState.LET_GO),
    )
    assert_refused(
        "case_closed_says_when_and_why",
        lambda: Case.objects.filter(pk=case.pk).update(closed_on=date(2026, 10, 1), close_reason="Goals met"),
    )


@refuses("case_nhs_number_is_ten_digits")
def test_an_nhs_number_is_ten_digits(team):
    case = CaseFactory(team=team)
    for bad in ("123456789", "943476591X", "943 476 59", "94347659１"):
        assert_refused(
            "case_nhs_number_is_ten_digits",
            lambda bad=bad: Case.objects.filter(pk=case.pk).update(nhs_number=bad),
        )


@refuses("case_another_agency_is_named")
def test_another_agency_is_named(team):
    case = CaseFactory(team=team)
    assert_refused(
        "case_another_agency_is_named",
        lambda: Case.objects.filter(pk=case.pk).update(choice_outcome=ChoiceOutcome.ANOTHER_AGENCY),
    )


@refuses("diary_one_booked_choice_per_case")
def test_a_family_has_one_booked_choice_at_a_time(team):
    case = CaseFactory(team=team, state=CaseState.CHOICE_BOOKED, choice_outcome="", choice_date=None)
    AppointmentFactory(team=team, case=case, kind=AppointmentKind.CHOICE)
    assert_refused(
        "diary_one_booked_choice_per_case",
        lambda: AppointmentFactory(team=team, case=case, kind=AppointmentKind.CHOICE),
    )


@refuses("diary_clinician_once_per_appointment")
def test_a_clinician_holds_an_appointments_time_once(team):
    clinician = clinician_in(team)
    appointment = AppointmentFactory(team=team, kind=AppointmentKind.FOLLOW_UP)
    start = timezone.now() + timedelta(days=3)

    def hold(offset):
        return ClinicianTime(
            clinician=clinician,
            appointment=appointment,
            during=(start + offset, start + offset + timedelta(hours=1)),
        )

    ClinicianTime.objects.bulk_create([hold(timedelta(0))])
    assert_refused(
        "diary_clinician_once_per_appointment",
        lambda: ClinicianTime.objects.bulk_create([hold(timedelta(days=1))]),
    )


@refuses("case_one_current_key_worker")
def test_a_case_has_one_current_key_worker(team):
    worker = CaseWorkerFactory(case=CaseFactory(team=team))
    assert_refused(
        "case_one_current_key_worker",
        lambda: CaseWorkerFactory(case=worker.case, role=WorkerRole.KEY_WORKER),
    )


@refuses("case_worker_once_at_a_time")
def test_a_clinician_works_with_a_case_once_at_a_time(team):
    worker = CaseWorkerFactory(case=CaseFactory(team=team))
    assert_refused(
        "case_worker_once_at_a_time",
        lambda: CaseWorkerFactory(
            case=worker.case, clinician=worker.clinician, role=WorkerRole.CORE_COWORKER
        ),
    )


@refuses("case_worker_specific_names_its_stream")
def test_a_specific_worker_names_the_stream(team):
    case = CaseFactory(team=team)
    assert_refused(
        "case_worker_specific_names_its_stream",
        lambda: CaseWorkerFactory(case=case, role=WorkerRole.SPECIFIC_WORKER),
    )
    assert_refused(
        "case_worker_specific_names_its_stream",
        lambda: CaseWorkerFactory(case=case, specific_stream=SpecificStreamFactory(team=team)),
    )


@refuses("case_worker_leaves_after_joining")
def test_a_worker_leaves_after_joining(team):
    worker = CaseWorkerFactory(case=CaseFactory(team=team))
    assert_refused(
        "case_worker_leaves_after_joining",
        lambda: CaseWorker.objects.filter(pk=worker.pk).update(left_on=worker.joined_on - timedelta(days=1)),
    )


@refuses("rota_override_has_a_reason")
def test_overriding_the_rota_needs_a_reason(team):
    pick = RotaPickFactory(stream=SpecificStreamFactory(team=team))
    assert_refused(
        "rota_override_has_a_reason",
        lambda: RotaPick.objects.filter(pk=pick.pk).update(picked=UserFactory()),
    )


@refuses("review_next_after_this_one")
def test_the_next_review_comes_after_this_one(team):
    review = ReviewFactory(case=CaseFactory(team=team))
    assert_refused(
        "review_next_after_this_one",
        lambda: Review.objects.filter(pk=review.pk).update(next_review_on=review.held_on),
    )


@refuses("letter_sent_says_when_by_whom_and_to_whom")
def test_a_sent_letter_says_when_by_whom_and_to_whom(team):
    letter = CarePlanLetterFactory(case=CaseFactory(team=team))
    assert_refused(
        "letter_sent_says_when_by_whom_and_to_whom",
        lambda: CarePlanLetter.objects.filter(pk=letter.pk).update(sent_at=timezone.now()),
    )


@refuses("outcome_measure_name_unique")
def test_a_measure_name_is_unique_in_the_organisation(team):
    measure = OutcomeMeasureFactory(organisation=team.organisation)
    assert_refused(
        "outcome_measure_name_unique",
        lambda: OutcomeMeasure.objects.bulk_create(
            [OutcomeMeasure(organisation=team.organisation, name=measure.name, lowest=0, highest=10)]
        ),
    )


@refuses("outcome_measure_range_is_real")
def test_a_measure_range_is_real(team):
    measure = OutcomeMeasureFactory(organisation=team.organisation)
    assert_refused(
        "outcome_measure_range_is_real",
        lambda: OutcomeMeasure.objects.filter(pk=measure.pk).update(highest=Decimal("1")),
    )


@refuses("outcome_one_start_score")
def test_one_start_score_per_measure(team):
    score = OutcomeScoreFactory(case=CaseFactory(team=team))
    assert_refused(
        "outcome_one_start_score", lambda: OutcomeScoreFactory(case=score.case, measure=score.measure)
    )


@refuses("outcome_one_end_score")
def test_one_end_score_per_measure(team):
    score = OutcomeScoreFactory(case=CaseFactory(team=team), point="end")
    assert_refused(
        "outcome_one_end_score",
        lambda: OutcomeScoreFactory(case=score.case, measure=score.measure, point="end"),
    )
