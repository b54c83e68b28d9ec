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


# --- The forms of Partnership: workers, the rota, reviews, appointments after the first ----------

ids = st.one_of(values, st.sampled_from(["ME", "COLLEAGUE", "OUTSIDER", "STREAM", "OTHER_STREAM", "VENUE"]))


def in_partnership(team):
    from tests.factories import CaseWorkerFactory

    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    CaseWorkerFactory(case=case, clinician=clinician_in(team))
    return case


def real_ids(team, other_team, me) -> dict[str, str]:
    from tests.factories import JobPlanFactory, JobPlanLineFactory, SpecificStreamFactory, VenueFactory

    stream = SpecificStreamFactory(team=team)
    colleague = clinician_in(team)
    plan = JobPlanFactory(clinician=colleague, team=team)
    JobPlanLineFactory(plan=plan, activity="specific", specific_stream=stream, hours_per_week=7)
    return {
        "ME": str(me.pk),
        "COLLEAGUE": str(colleague.pk),
        "OUTSIDER": str(clinician_in(other_team).pk),
        "STREAM": str(stream.pk),
        "OTHER_STREAM": str(SpecificStreamFactory(team=other_team).pk),
        "VENUE": str(VenueFactory(team=team).pk),
    }


@pytest.fixture
def me(team):
    return clinician_in(team)


@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={"clinician": ids}))
@pytest.mark.parametrize("name", ["partnership:worker-co-worker", "partnership:worker-key-worker"])
def test_the_worker_forms_never_fail(client, team, other_team, me, name, fields):
    client.force_login(me)
    case = in_partnership(team)
    known = real_ids(team, other_team, me)
    post_and_check(
        client, reverse(name, args=[team.pk, case.pk]), {k: known.get(v, v) for k, v in fields.items()}
    )


@FUZZ
@given(
    fields=st.fixed_dictionaries({}, optional={"stream": ids, "override_to": ids, "override_reason": values})
)
def test_the_specific_worker_form_never_fails(client, team, other_team, me, fields):
    client.force_login(me)
    case = in_partnership(team)
    known = real_ids(team, other_team, me)
    post_and_check(
        client,
        reverse("partnership:worker-specific", args=[team.pk, case.pk]),
        {k: known.get(v, v) for k, v in fields.items()},
    )


@FUZZ
@given(
    fields=st.fixed_dictionaries({}, optional={"notes": values}),
    held=dates("held_on"),
    following=dates("next_review_on"),
)
def test_the_review_form_never_fails(client, team, me, fields, held, following):
    client.force_login(me)
    case = in_partnership(team)
    post_and_check(
        client, reverse("partnership:review-new", args=[team.pk, case.pk]), fields | held | following
    )


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "starts": st.one_of(values, st.sampled_from(["10:00", "09:30", "25:00", "10.15"])),
            "ends": st.one_of(values, st.sampled_from(["11:00", "10:00", "23:59"])),
            "venue": ids,
            "clinicians": st.lists(ids, max_size=3),
        },
    ),
    day=dates("day"),
)
def test_the_follow_up_form_never_fails(client, team, other_team, me, fields, day):
    client.force_login(me)
    case = in_partnership(team)
    known = real_ids(team, other_team, me)
    data = {
        k: ([known.get(x, x) for x in v] if isinstance(v, list) else known.get(v, v))
        for k, v in fields.items()
    }
    post_and_check(client, reverse("diary:follow-up-new", args=[team.pk, case.pk]), data | day)
