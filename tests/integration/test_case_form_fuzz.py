"""Hypothesis fuzzes every case form over HTTP: whatever is posted (missing, wrong-typed, huge,
NUL bytes, 31 February, far-off dates, other teams' ids), the answer is never a server error, and
a refused post changes no row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.models import Appointment, SlotKind
from partnership.models import Case, CaseState, CaseStep, CaseWorker, StepKind
from tests.factories import CaseFactory, SlotFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALLOWED = {200, 302, 400, 403, 404, 409}

# Text a form may be sent: ordinary, empty, huge, with NUL bytes and odd unicode, numbers as text.
values = st.one_of(
    st.text(max_size=30),
    st.just(""),
    st.text(min_size=300, max_size=400),
    st.text(alphabet=st.sampled_from("\x00\u202e²٣१0123456789 -/"), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["31", "2", "29", "0", "13", "1900", "9999", "2026", "1", "12"]),
)


def dates(prefix: str):
    return st.fixed_dictionaries(
        {f"{prefix}_day": values, f"{prefix}_month": values, f"{prefix}_year": values}
    )


def rows() -> tuple:
    return (
        Case.objects.count(),
        CaseStep.objects.count(),
        CaseWorker.objects.count(),
        Appointment.objects.count(),
    )


def post_and_check(client, url: str, data: dict) -> None:
    before = rows()
    response = client.post(url, data)
    assert response.status_code in ALLOWED, (response.status_code, data)
    if response.status_code != 302:
        assert rows() == before, data


@pytest.fixture
def logged_in(client, team):
    client.force_login(clinician_in(team))
    return client


referral_posts = st.tuples(
    st.fixed_dictionaries(
        {},
        optional={
            "family_reference": values,
            "child_first_name": values,
            "child_last_name": values,
            "nhs_number": values,
            "referrer": values,
        },
    ),
    dates("child_date_of_birth"),
    dates("referral_date"),
    dates("choice_date"),
).map(lambda parts: {k: v for part in parts for k, v in part.items()})


@FUZZ
@given(data=referral_posts)
def test_the_referral_form_never_fails(logged_in, team, data):
    post_and_check(logged_in, reverse("partnership:referral-new", args=[team.pk]), data)


@FUZZ
@given(data=referral_posts)
def test_the_end_of_choice_case_form_never_fails(logged_in, team, data):
    post_and_check(logged_in, reverse("partnership:case-new", args=[team.pk]), data)


@FUZZ
@given(
    state=st.sampled_from(CaseState.values),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "step-kind": st.one_of(st.sampled_from(StepKind.values), values),
            "step-detail": values,
            "step-outcome": st.one_of(st.sampled_from(["no_further_help", "another_agency"]), values),
            "step-agency": values,
            "step-stream": values,
        },
    ),
    on=dates("step-on"),
)
def test_the_step_form_never_fails(logged_in, team, state, fields, on):
    closed = state in ("not_accepted", "closed_at_choice", "let_go")
    case = CaseFactory(
        team=team,
        state=state,
        closed_on=timezone.localdate() - timedelta(days=1) if closed else None,
        close_reason="Goals met" if closed else "",
    )
    post_and_check(logged_in, reverse("partnership:case-step", args=[team.pk, case.pk]), fields | on)


@FUZZ
@given(
    offered=st.lists(st.one_of(values, st.sampled_from(["SLOT0", "SLOT1", "OTHER"])), max_size=4),
    booked=st.lists(st.one_of(values, st.sampled_from(["SLOT0", "SLOT1", "OTHER"])), max_size=2),
)
def test_the_choice_booking_form_never_fails(logged_in, team, other_team, offered, booked):
    case = CaseFactory(team=team, state=CaseState.AWAITING_CHOICE, choice_date=None, choice_outcome="")
    ids = {
        "SLOT0": SlotFactory(team=team, kind=SlotKind.CHOICE).pk,
        "SLOT1": SlotFactory(team=team, kind=SlotKind.CHOICE).pk,
        "OTHER": SlotFactory(team=other_team, kind=SlotKind.CHOICE).pk,
    }
    data = {"offered": [str(ids.get(v, v)) for v in offered], "booked": [str(ids.get(v, v)) for v in booked]}
    post_and_check(logged_in, reverse("diary:choice-book", args=[team.pk, case.pk]), data)
