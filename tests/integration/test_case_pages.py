"""Recording a family's journey on the case page: the steps the case may take now, refused ones
explained next to the form, every step in the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.models import Case, CaseState, CaseStep, StepKind
from tests.factories import CaseFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


def step_url(case):
    return reverse("partnership:case-step", args=[case.team_id, case.pk])


def post_step(client, case, **fields):
    today = timezone.localdate()
    data = {"step-on_day": today.day, "step-on_month": today.month, "step-on_year": today.year}
    data.update({f"step-{key}": value for key, value in fields.items()})
    return client.post(step_url(case), data)


@pytest.fixture
def referred(team):
    return CaseFactory(
        team=team, state=CaseState.REFERRED, choice_date=None, choice_outcome="", accepted_on=None
    )


def test_a_clinician_accepts_a_referral_and_sees_it_in_the_history(client, team, referred):
    clinician = clinician_in(team)
    client.force_login(clinician)
    response = post_step(client, referred, kind=StepKind.ACCEPT)
    assert response.status_code == 302
    referred.refresh_from_db()
    assert referred.state == CaseState.AWAITING_CHOICE
    page = client.get(reverse("partnership:case-detail", args=[team.pk, referred.pk])).content.decode()
    assert "Referral accepted" in page
    assert "Waiting for Choice" in page


def test_not_accepting_without_a_reason_is_refused_next_to_the_field(client, team, referred):
    client.force_login(clinician_in(team))
    response = post_step(client, referred, kind=StepKind.NOT_ACCEPT)
    assert response.status_code == 400
    assert "Say why." in response.content.decode()
    assert Case.objects.get(pk=referred.pk).state == CaseState.REFERRED
    assert CaseStep.objects.count() == 0


def test_a_step_the_case_cannot_take_is_a_bad_request_that_changes_nothing(client, team, referred):
    client.force_login(clinician_in(team))
    response = post_step(client, referred, kind=StepKind.LET_GO, detail="Goals met")
    assert response.status_code == 400
    assert Case.objects.get(pk=referred.pk).state == CaseState.REFERRED
    assert CaseStep.objects.count() == 0


def test_a_date_in_the_future_is_refused(client, team, referred):
    client.force_login(clinician_in(team))
    later = timezone.localdate() + timedelta(days=3)
    response = client.post(
        step_url(referred),
        {
            "step-kind": StepKind.ACCEPT,
            "step-on_day": later.day,
            "step-on_month": later.month,
            "step-on_year": later.year,
        },
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


def test_an_admin_reads_cases_but_does_not_record_steps(client, team, referred, admin):
    client.force_login(admin)
    assert post_step(client, referred, kind=StepKind.ACCEPT).status_code == 403
    assert Case.objects.get(pk=referred.pk).state == CaseState.REFERRED


def test_another_teams_case_is_not_found(client, team, referred, other_team):
    client.force_login(clinician_in(other_team))
    assert post_step(client, referred, kind=StepKind.ACCEPT).status_code == 404


def test_a_referral_is_recorded_then_accepted(client, team):
    client.force_login(clinician_in(team))
    referred_on = timezone.localdate() - timedelta(days=2)
    response = client.post(
        reverse("partnership:referral-new", args=[team.pk]),
        {
            "family_reference": "RX77",
            "child_first_name": "Noah",
            "child_last_name": "Okafor",
            "child_date_of_birth_day": "3",
            "child_date_of_birth_month": "4",
            "child_date_of_birth_year": "2015",
            "nhs_number": "943 476 5919",
            "referral_date_day": referred_on.day,
            "referral_date_month": referred_on.month,
            "referral_date_year": referred_on.year,
            "referrer": "GP, Riverside Surgery",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(family_reference="RX77")
    assert (case.state, case.nhs_number, case.referrer) == (
        CaseState.REFERRED,
        "9434765919",
        "GP, Riverside Surgery",
    )


def test_a_wrong_nhs_number_is_refused_next_to_the_field(client, team):
    client.force_login(clinician_in(team))
    response = client.post(
        reverse("partnership:referral-new", args=[team.pk]),
        {
            "family_reference": "RX78",
            "child_first_name": "Noah",
            "child_last_name": "Okafor",
            "child_date_of_birth_day": "3",
            "child_date_of_birth_month": "4",
            "child_date_of_birth_year": "2015",
            "nhs_number": "943 476 5918",
            "referral_date_day": "2",
            "referral_date_month": "11",
            "referral_date_year": "2026",
        },
    )
    assert response.status_code == 400
    assert "last digit must check out" in response.content.decode()
    assert not Case.objects.exists()


def test_the_goals_agreed_at_choice_are_kept_with_the_outcome(client, team):
    case = CaseFactory(team=team, state=CaseState.CHOICE_ATTENDED, choice_outcome="")
    client.force_login(clinician_in(team))
    response = post_step(client, case, kind=StepKind.TO_CORE, goals="Back at school full time")
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.goals) == (CaseState.AWAITING_FIRST_CORE, "Back at school full time")
    page = client.get(reverse("partnership:case-detail", args=[team.pk, case.pk])).content.decode()
    assert "Back at school full time" in page
