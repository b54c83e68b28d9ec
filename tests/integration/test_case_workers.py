"""The pages for who works with a case and its reviews (partnership/views_workers.py), the case
page's workers panel and a stream's rota page."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnership import reviews
from partnership.models import CaseState, CaseStep, CaseWorker, JoinedVia, Review, RotaPick, WorkerRole
from planning.models import AbsenceKind, PlanningSettings
from tests.factories import AbsenceFactory, CaseFactory, CaseWorkerFactory, ReviewFactory
from tests.factories.diary import clinician_in
from tests.integration.test_rota import make_stream, on_rota, specific_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(team):
    return make_stream(team, name="EMDR")


@pytest.fixture
def rota_people(team, team_lead, stream):
    return on_rota(team, stream, last_name="Adams", lead=team_lead), on_rota(
        team, stream, last_name="Brown", lead=team_lead
    )


@pytest.fixture
def case(team, stream):
    return specific_case(team, stream, child_first_name="Maya", child_last_name="Hughes")


@pytest.fixture
def core_case(team, clinician):
    case = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, child_first_name="Leo")
    CaseWorkerFactory(case=case, clinician=clinician, role=WorkerRole.KEY_WORKER)
    return case


def url(name, case, **extra):
    return reverse(f"partnership:{name}", kwargs={"team_id": case.team_id, "case_id": case.pk, **extra})


def assert_error_next_to(response, field: str, message: str) -> None:
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    start = page.find(f'id="id_{field}-error"')
    assert start >= 0, f"no error next to {field}"
    assert message in page[start : start + 600]


def rows() -> tuple:
    return (
        RotaPick.objects.count(),
        CaseWorker.objects.count(),
        CaseWorker.objects.filter(left_on__isnull=False).count(),
        CaseStep.objects.count(),
        Review.objects.count(),
    )


# --- A Specific worker from the rota -----------------------------------------------------------


def test_the_page_says_who_is_next_and_who_is_skipped(client, clinician, case, stream, rota_people, team):
    adams, brown = rota_people
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, kind=AbsenceKind.LONG_SICKNESS, starts_on=today, ends_on=today)
    client.force_login(clinician)
    response = client.get(url("worker-specific", case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Next up for EMDR: <strong>Pat Brown</strong>" in page
    assert "Skipped Pat Adams: Away: long-term sickness until" in page
    assert "override_reason" not in page  # a clinician cannot override


def test_taking_who_is_next(client, clinician, case, stream, rota_people):
    adams, _ = rota_people
    client.force_login(clinician)
    response = client.post(url("worker-specific", case), {"stream": stream.pk})
    assert response.status_code == 302
    assert response["Location"].endswith("#workers")
    worker = CaseWorker.objects.get(case=case)
    assert (worker.clinician, worker.role, worker.via) == (adams, WorkerRole.SPECIFIC_WORKER, JoinedVia.ROTA)
    case.refresh_from_db()
    assert case.state == CaseState.IN_PARTNERSHIP


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "stream", "Choose the Specific stream"),
        ({"stream": "999999"}, "stream", "Choose one of the team's Specific streams with a rota."),
        ({"stream": "not a number"}, "stream", "Choose one of the team's Specific streams with a rota."),
    ],
)
def test_bad_input_is_a_400_next_to_the_field_and_writes_nothing(
    client, clinician, case, rota_people, data, field, message
):
    client.force_login(clinician)
    before = rows()
    assert_error_next_to(client.post(url("worker-specific", case), data), field, message)
    assert rows() == before


def test_nobody_free_is_a_400_saying_why(client, clinician, case, stream, team, team_lead):
    adams = on_rota(team, stream, last_name="Adams", lead=team_lead)
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, kind=AbsenceKind.OTHER, starts_on=today, ends_on=today)
    client.force_login(clinician)
    response = client.post(url("worker-specific", case), {"stream": stream.pk})
    assert_error_next_to(response, "stream", "Nobody can take a EMDR case now: Pat Adams: away:")
    assert rows() == (0, 0, 0, 0, 0)


def test_a_clinician_cannot_override_the_rota(client, clinician, case, stream, rota_people):
    _, brown = rota_people
    client.force_login(clinician)
    response = client.post(
        url("worker-specific", case),
        {"stream": stream.pk, "override_to": brown.pk, "override_reason": "Why not"},
    )
    assert response.status_code == 403
    assert rows() == (0, 0, 0, 0, 0)


def test_a_lead_overrides_with_a_reason(client, team_lead, case, stream, rota_people):
    adams, brown = rota_people
    client.force_login(team_lead)
    page = client.get(url("worker-specific", case)).content.decode()
    assert "Override the rota" in page
    response = client.post(url("worker-specific", case), {"stream": stream.pk, "override_to": brown.pk})
    assert_error_next_to(response, "override_reason", "Say why you are overriding the rota.")
    assert rows() == (0, 0, 0, 0, 0)
    response = client.post(
        url("worker-specific", case),
        {"stream": stream.pk, "override_to": brown.pk, "override_reason": "Brown knows the family"},
    )
    assert response.status_code == 302
    pick = RotaPick.objects.get()
    assert (pick.picked, pick.next_up, pick.override_reason) == (brown, adams, "Brown knows the family")


def test_another_team_is_a_404_and_an_admin_may_not_write(client, outsider, admin, case, stream, rota_people):
    for person, status in ((outsider, 404), (admin, 403)):
        client.force_login(person)
        for name, data in (
            ("worker-specific", {"stream": stream.pk}),
            ("worker-co-worker", {"clinician": person.pk}),
            ("worker-key-worker", {"clinician": person.pk}),
            ("review-new", {"held_on_day": "1", "held_on_month": "11", "held_on_year": "2026"}),
        ):
            assert client.post(url(name, case), data).status_code == status
            assert client.get(url(name, case)).status_code == status
    assert rows() == (0, 0, 0, 0, 0)


# --- Co-workers and the key worker ----------------------------------------------------------------


def test_adding_a_core_coworker(client, clinician, core_case, team):
    second = clinician_in(team)
    client.force_login(clinician)
    response = client.post(url("worker-co-worker", core_case), {"clinician": second.pk})
    assert response.status_code == 302
    worker = CaseWorker.objects.get(case=core_case, clinician=second)
    assert (worker.role, worker.via) == (WorkerRole.CORE_COWORKER, JoinedVia.LEAD)


@pytest.mark.parametrize("name", ["worker-co-worker", "worker-key-worker"])
def test_a_clinician_of_another_team_or_none_is_a_400(client, clinician, outsider, core_case, name):
    client.force_login(clinician)
    before = rows()
    assert_error_next_to(
        client.post(url(name, core_case), {"clinician": outsider.pk}),
        "clinician",
        "Choose a clinician of the team.",
    )
    assert_error_next_to(client.post(url(name, core_case), {}), "clinician", "Choose a clinician")
    assert rows() == before


def test_adding_someone_already_working_with_the_case_is_a_400(client, clinician, core_case):
    client.force_login(clinician)
    before = rows()
    response = client.post(url("worker-co-worker", core_case), {"clinician": clinician.pk})
    assert_error_next_to(response, "clinician", "already works with this case")
    assert rows() == before


def test_changing_the_key_worker(client, team_lead, clinician, core_case, team):
    new = clinician_in(team)
    client.force_login(team_lead)
    assert client.post(url("worker-key-worker", core_case), {"clinician": new.pk}).status_code == 302
    current = CaseWorker.objects.get(case=core_case, role=WorkerRole.KEY_WORKER, left_on__isnull=True)
    assert current.clinician == new
    old = CaseWorker.objects.get(case=core_case, clinician=clinician)
    assert old.left_on == timezone.localdate()
    # The page shows it.
    page = client.get(reverse("partnership:case-detail", args=[team.pk, core_case.pk])).content.decode()
    assert new.get_full_name() in page
    assert "Who worked with the case before" in page


# --- Reviews --------------------------------------------------------------------------------------


def review_data(held: date, next_review: date | None = None, notes: str = "Goals on track") -> dict:
    data = {
        "held_on_day": held.day,
        "held_on_month": held.month,
        "held_on_year": held.year,
        "notes": notes,
    }
    if next_review:
        data |= {
            "next_review_on_day": next_review.day,
            "next_review_on_month": next_review.month,
            "next_review_on_year": next_review.year,
        }
    return data


def test_recording_a_review(client, clinician, core_case):
    client.force_login(clinician)
    today = timezone.localdate()
    assert client.get(url("review-new", core_case)).status_code == 200
    response = client.post(url("review-new", core_case), review_data(today, today + timedelta(weeks=6)))
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.held_on, review.next_review_on, review.notes) == (
        today,
        today + timedelta(weeks=6),
        "Goals on track",
    )
    assert CaseStep.objects.get(case=core_case).kind == "review"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "held_on", "Enter the day the review was held"),
        (
            {"held_on_day": "31", "held_on_month": "2", "held_on_year": "2026"},
            "held_on",
            "Date must be a real date",
        ),
        (review_data(date(2030, 1, 1)), "held_on", "The date cannot be in the future."),
        (review_data(date(2026, 1, 1)), "held_on", "The date cannot be before the referral"),
        (
            review_data(date(2026, 10, 5), date(2026, 10, 5)),
            "next_review_on",
            "The next review must be after this one.",
        ),
    ],
)
def test_a_bad_review_is_a_400_next_to_the_field(client, clinician, core_case, data, field, message):
    client.force_login(clinician)
    before = rows()
    assert_error_next_to(client.post(url("review-new", core_case), data), field, message)
    assert rows() == before


def test_a_case_not_in_partnership_cannot_be_reviewed(client, clinician, case):
    client.force_login(clinician)
    response = client.post(url("review-new", case), review_data(timezone.localdate()))
    assert response.status_code == 400
    assert "is not possible" in response.content.decode()
    assert not Review.objects.exists()


# --- The case page panel and the rota page ----------------------------------------------------------


def test_the_case_page_shows_the_workers_and_the_review_state(client, clinician, admin, core_case, team):
    ReviewFactory(case=core_case, held_on=date(2026, 10, 1), notes="Reviewed goals", by=clinician)
    client.force_login(clinician)
    page = client.get(reverse("partnership:case-detail", args=[team.pk, core_case.pk])).content.decode()
    assert clinician.get_full_name() in page[page.find('id="case-workers"') :]
    assert "Not due" in page[page.find('id="review-status"') :]
    assert "Reviewed goals" in page
    assert url("review-new", core_case) in page
    assert url("worker-co-worker", core_case) in page
    client.force_login(admin)
    page = client.get(reverse("partnership:case-detail", args=[team.pk, core_case.pk])).content.decode()
    assert "Reviewed goals" in page
    assert url("review-new", core_case) not in page
    assert url("worker-co-worker", core_case) not in page


def test_the_rota_page_shows_who_is_next_and_the_picks_with_skip_reasons(
    client, clinician, outsider, case, stream, rota_people, team
):
    adams, brown = rota_people
    today = timezone.localdate()
    AbsenceFactory(team=team, clinician=adams, kind=AbsenceKind.OTHER, starts_on=today, ends_on=today)
    client.force_login(clinician)
    assert client.post(url("worker-specific", case), {"stream": stream.pk}).status_code == 302
    rota_url = reverse("partnership:rota-detail", args=[team.pk, stream.pk])
    page = client.get(rota_url).content.decode()
    assert "Nobody can take a EMDR case today" not in page
    assert "Next up today: <strong>Pat Adams</strong>" not in page  # Adams is away today
    picks = page[page.find('id="rota-picks"') :]
    assert "Pat Brown" in picks
    assert "Pat Adams: Away: other until" in picks
    client.force_login(outsider)
    assert client.get(rota_url).status_code == 404


def test_a_stream_of_another_team_is_a_404(client, clinician, team, other_team):
    client.force_login(clinician)
    other = make_stream(other_team)
    assert client.get(reverse("partnership:rota-detail", args=[team.pk, other.pk])).status_code == 404


# --- Query counts ---------------------------------------------------------------------------------


def _caseload(team, stream, size: int) -> list:
    made = []
    for index in range(size):
        case = CaseFactory(
            team=team, state=CaseState.IN_PARTNERSHIP, specific_stream=stream if index % 2 else None
        )
        CaseWorkerFactory(case=case, role=WorkerRole.KEY_WORKER)
        ReviewFactory(case=case, held_on=date(2026, 10, 1))
        made.append(case)
    return made


def test_review_statuses_of_3_and_30_cases_cost_the_same_queries(team, stream, django_assert_num_queries):
    settings = PlanningSettings(team=team)
    small, large = _caseload(team, stream, 3), _caseload(team, stream, 30)
    with CaptureQueriesContext(connection) as three:
        reviews.review_statuses(small, settings)
    with django_assert_num_queries(len(three.captured_queries)):
        statuses = reviews.review_statuses(large, settings)
    assert set(statuses) == {case.pk for case in large}


def test_the_case_page_panel_does_not_grow_with_workers_and_reviews(client, clinician, core_case, team):
    client.force_login(clinician)
    page = reverse("partnership:case-detail", args=[team.pk, core_case.pk])
    client.get(page)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    for _ in range(5):
        CaseWorkerFactory(case=core_case, clinician=clinician_in(team), role=WorkerRole.CORE_COWORKER)
        ReviewFactory(case=core_case, held_on=date(2026, 10, 1), by=clinician)
    with CaptureQueriesContext(connection) as many:
        client.get(page)
    assert len(many) == len(few)
