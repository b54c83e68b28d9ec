"""The care plan letter: written after the first Core appointment (goals from Choice, formulation,
risk plan, a review date after today), sent once to the family, the referrer and the network, read
as a page to print or as a PDF. The team's people and admins read it; only the team's clinicians
and leads write or send it; another team's letter does not exist."""

from __future__ import annotations

from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import Organisation, Team, User
from capa.templatetags.nhsuk import uk_date
from partnership import letters
from partnership.cases import CaseError
from partnership.models import CarePlanLetter, Case, CaseState, CaseView
from tests.factories import CarePlanLetterFactory, CaseFactory

pytestmark = pytest.mark.django_db

GOALS = "Sleep through the night most nights.\nBack at school full time."


@pytest.fixture
def case(team):
    """A family whose first Core appointment was attended: now in Partnership."""
    return CaseFactory(
        team=team,
        state=CaseState.IN_PARTNERSHIP,
        goals=GOALS,
        referrer="Dr Patel, Riverside Surgery",
        child_first_name="Maya",
        child_last_name="Hughes",
    )


def review_day() -> date:
    return timezone.localdate() + timedelta(weeks=12)


def write(case, by, **changes):
    fields = {
        "case": case,
        "formulation": "Worry about school kept going by staying at home.",
        "risk_plan": "No current risk. Call the duty line if that changes.",
        "review_on": review_day(),
        "network": "Mrs Jones, head of year\n\n  School nurse  \n",
        "by": by,
    }
    fields.update(changes)
    return letters.write_letter(**fields)


def new_url(case):
    return reverse("partnership:letter-new", args=[case.team_id, case.pk])


def letter_url(letter, name="letter-detail"):
    return reverse(f"partnership:{name}", args=[letter.case.team_id, letter.case_id, letter.pk])


def form_data(**changes):
    review = review_day()
    data = {
        "goals": "Back at school full time.",
        "formulation": "Worry about school kept going by staying at home.",
        "risk_plan": "No current risk.",
        "review_on_day": review.day,
        "review_on_month": review.month,
        "review_on_year": review.year,
        "to_family": "on",
        "to_referrer": "on",
        "network": "School nurse",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def error_at(page: str, field: str) -> str:
    """The error message shown next to a field (empty if none)."""
    start = page.find(f'id="id_{field}-error"')
    return page[start : start + 300] if start >= 0 else ""


# --- The domain rules ----------------------------------------------------------------------------


def test_a_letter_takes_the_goals_agreed_at_choice_unless_changed(case, clinician):
    letter = write(case, clinician)
    assert letter.goals == GOALS
    assert letter.network == "Mrs Jones, head of year\nSchool nurse"
    assert letter.written_by == clinician
    assert letter.sent_at is None
    amended = write(case, clinician, goals="  Back at school three days a week.  ")
    assert amended.goals == "Back at school three days a week."


@pytest.mark.parametrize(
    "state",
    [CaseState.AWAITING_FIRST_CORE, CaseState.FIRST_CORE_BOOKED, CaseState.CHOICE_ATTENDED],
)
def test_no_letter_before_the_first_core_appointment_was_attended(team, clinician, state):
    early = CaseFactory(team=team, state=state, goals=GOALS)
    with pytest.raises(CaseError, match="follows the family's first Core appointment"):
        write(early, clinician)
    assert CarePlanLetter.objects.count() == 0


@pytest.mark.parametrize("days", [0, -1, -400])
def test_the_review_date_must_be_after_today(case, clinician, days):
    with pytest.raises(CaseError) as refused:
        write(case, clinician, review_on=timezone.localdate() + timedelta(days=days))
    assert refused.value.field == "review_on"
    assert CarePlanLetter.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"formulation": "   "}, "formulation"),
        ({"risk_plan": ""}, "risk_plan"),
        ({"to_family": False, "to_referrer": False, "network": " \n "}, "to_family"),
        ({"network": "x" * 201}, "network"),
    ],
)
def test_an_incomplete_letter_is_refused_at_its_field(case, clinician, changes, field):
    with pytest.raises(CaseError) as refused:
        write(case, clinician, **changes)
    assert refused.value.field == field
    assert CarePlanLetter.objects.count() == 0


def test_without_goals_from_choice_the_letter_needs_goals(team, clinician):
    no_goals = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, goals="")
    with pytest.raises(CaseError) as refused:
        write(no_goals, clinician, goals=" ")
    assert refused.value.field == "goals"


def test_sending_records_when_by_whom_and_the_recipients_as_sent(case, clinician, team_lead):
    letter = write(case, clinician)
    letters.mark_sent(letter=letter, by=team_lead)
    letter.refresh_from_db()
    assert letter.sent_by == team_lead
    assert letter.sent_at is not None
    assert letter.sent_to.splitlines() == [
        "The family of Maya Hughes",
        "Dr Patel, Riverside Surgery",
        "Mrs Jones, head of year",
        "School nurse",
    ]


def test_an_unnamed_referrer_is_the_referrer_and_recipients_left_out_are_not_sent_to(team, clinician):
    unnamed = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, goals=GOALS, referrer="")
    letter = letters.mark_sent(letter=write(unnamed, clinician, network=""), by=clinician)
    assert letter.sent_to.splitlines() == [f"The family of {unnamed.child_name}", "The referrer"]
    only_school = write(unnamed, clinician, to_family=False, to_referrer=False, network="School")
    assert letters.mark_sent(letter=only_school, by=clinician).sent_to == "School"


def test_a_letter_is_sent_once(case, clinician, team_lead):
    letter = write(case, clinician)
    letters.mark_sent(letter=letter, by=clinician)
    with pytest.raises(CaseError, match="was sent on .* by Sam Clinician"):
        letters.mark_sent(letter=CarePlanLetter.objects.get(pk=letter.pk), by=team_lead)
    assert CarePlanLetter.objects.get(pk=letter.pk).sent_by == clinician


# --- The PDF -------------------------------------------------------------------------------------


def first_page_image(data: bytes):
    """The PDF's first page as a greyscale image (pypdfium2 renders it as a PDF viewer would)."""
    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        bitmap = page.render(scale=1)
        image = bitmap.to_pil().convert("L")
        bitmap.close()
        page.close()
        return image
    finally:
        document.close()


def pdf_text(data: bytes) -> str:
    """Every page's text, with runs of white space (line breaks included) as one space."""
    document = pdfium.PdfDocument(data)
    try:
        texts = []
        for number in range(len(document)):
            page = document[number]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return " ".join(" ".join(texts).split())
    finally:
        document.close()


def test_the_pdf_shows_the_child_the_goals_and_the_review_date_and_is_not_blank(case, clinician):
    letter = write(case, clinician)
    data = letters.letter_pdf(letter)
    assert data.startswith(b"%PDF")
    image = first_page_image(data)
    darkest, lightest = image.getextrema()
    assert lightest == 255  # white paper
    assert darkest < 128  # with black text on it
    assert sum(image.histogram()[:128]) > 500  # dark pixels: more than a stray mark
    text = pdf_text(data)
    flat = text
    assert "Maya Hughes" in flat
    assert "Sleep through the night most nights." in flat
    assert "Back at school full time." in flat
    assert "Worry about school kept going by staying at home." in flat
    assert "No current risk." in flat
    assert uk_date(letter.review_on) in flat  # e.g. Mon 15 Feb 2027
    assert "Dr Patel, Riverside Surgery" in flat
    assert "School nurse" in flat


def test_the_pdf_prints_text_that_looks_like_markup_as_written(case, clinician):
    letter = write(case, clinician, goals="Less <b>shouting</b> & more talking", network="")
    text = pdf_text(letters.letter_pdf(letter))
    assert "Less <b>shouting</b> & more talking" in text


# --- The pages -----------------------------------------------------------------------------------


def test_a_clinician_writes_the_letter_reads_it_and_records_it_sent(client, case, clinician):
    client.force_login(clinician)
    page = client.get(new_url(case)).content.decode()
    assert "Sleep through the night most nights." in page  # the Choice goals to start from
    response = client.post(new_url(case), form_data())
    assert response.status_code == 302
    letter = CarePlanLetter.objects.get()
    assert response["Location"] == letter_url(letter)
    page = client.get(letter_url(letter)).content.decode()
    assert "Back at school full time." in page
    assert uk_date(review_day()) in page
    assert "Not sent yet" in page
    assert CaseView.objects.filter(case=case, viewed_by=clinician, what="care plan letter").exists()

    response = client.post(letter_url(letter, "letter-sent"))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.sent_by == clinician
    assert "School nurse" in letter.sent_to
    case_page = client.get(response["Location"]).content.decode()
    assert "Sent " + uk_date(letter.sent_at) in case_page

    again = client.post(letter_url(letter, "letter-sent"))
    assert again.status_code == 400
    assert "This letter was sent on" in again.content.decode()


def test_the_pdf_is_served_and_the_view_logged(client, case, clinician):
    letter = write(case, clinician)
    client.force_login(clinician)
    response = client.get(letter_url(letter, "letter-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert CaseView.objects.filter(case=case, what="care plan letter PDF").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"formulation": ""}, "formulation", "Write the formulation."),
        ({"risk_plan": "  "}, "risk_plan", "Write the risk plan"),
        ({"review_on_day": "31", "review_on_month": "2"}, "review_on", "Date must be a real date"),
        ({"review_on_year": "2020"}, "review_on", "The review date must be after today."),
        (
            {"to_family": None, "to_referrer": None, "network": ""},
            "to_family",
            "Choose who the letter goes to",
        ),
        ({"formulation": "a\x00b"}, "formulation", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_bad_request_with_the_error_at_the_field(
    client, case, clinician, changes, field, message
):
    client.force_login(clinician)
    response = client.post(new_url(case), form_data(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert message in error_at(page, field)
    assert CarePlanLetter.objects.count() == 0


def test_a_letter_cannot_be_written_before_the_first_core_appointment(client, team, clinician):
    early = CaseFactory(team=team, state=CaseState.FIRST_CORE_BOOKED, goals=GOALS)
    client.force_login(clinician)
    page = client.get(new_url(early))
    assert page.status_code == 200
    assert "cannot be written yet" in page.content.decode()
    response = client.post(new_url(early), form_data())
    assert response.status_code == 400
    assert CarePlanLetter.objects.count() == 0


def test_an_admin_reads_letters_but_does_not_write_or_send_them(client, case, clinician, admin):
    letter = write(case, clinician)
    client.force_login(admin)
    assert client.get(letter_url(letter)).status_code == 200
    assert client.get(letter_url(letter, "letter-pdf")).status_code == 200
    assert client.get(new_url(case)).status_code == 403
    assert client.post(new_url(case), form_data()).status_code == 403
    assert client.post(letter_url(letter, "letter-sent")).status_code == 403
    assert CarePlanLetter.objects.count() == 1
    assert CarePlanLetter.objects.get().sent_at is None
    assert "Record that it was sent" not in client.get(letter_url(letter)).content.decode()


def test_another_teams_letter_does_not_exist(client, case, clinician, outsider):
    letter = write(case, clinician)
    client.force_login(outsider)
    for name in ("letter-detail", "letter-pdf"):
        assert client.get(letter_url(letter, name)).status_code == 404
    assert client.post(letter_url(letter, "letter-sent")).status_code == 404
    assert client.post(new_url(case), form_data()).status_code == 404
    assert CarePlanLetter.objects.count() == 1
    assert not CaseView.objects.filter(viewed_by=outsider).exists()


def test_a_letter_of_another_case_in_the_url_is_not_found(client, team, case, clinician):
    other = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    letter = CarePlanLetterFactory(case=other, written_by=clinician)
    client.force_login(clinician)
    url = reverse("partnership:letter-detail", args=[team.pk, case.pk, letter.pk])
    assert client.get(url).status_code == 404


def test_the_case_page_lists_letters_sent_or_not(client, case, clinician):
    sent = write(case, clinician)
    letters.mark_sent(letter=sent, by=clinician)
    write(case, clinician)
    client.force_login(clinician)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Write a care plan letter" in page
    assert page.count("Care plan letter written") == 2
    assert "Not sent" in page
    assert f"Sent {uk_date(CarePlanLetter.objects.get(pk=sent.pk).sent_at)}" in page
    assert letter_url(sent, "letter-pdf") in page


# --- Fuzzing the form ------------------------------------------------------------------------------

junk = st.text(max_size=30)
date_parts = st.one_of(junk, st.integers(min_value=-3, max_value=10000).map(str))


@st.composite
def letter_posts(draw):
    """A valid letter with each field kept, left out or replaced by junk (a date anywhere)."""
    review = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
    junk_for = {
        "goals": st.one_of(junk, st.text(min_size=5000, max_size=5100)),
        "formulation": st.one_of(junk, st.just(" ")),
        "risk_plan": st.one_of(junk, st.just("")),
        "review_on_day": st.one_of(st.just(str(review.day)), date_parts),
        "review_on_month": st.one_of(st.just(str(review.month)), date_parts),
        "review_on_year": st.one_of(st.just(str(review.year)), date_parts),
        "to_family": st.one_of(st.just(""), junk),
        "to_referrer": st.one_of(st.just(""), junk),
        "network": st.one_of(junk, st.lists(junk, max_size=25).map("\n".join), st.just("x" * 201)),
    }
    data = {}
    for name, value in form_data().items():
        mode = draw(st.sampled_from(["keep", "keep", "keep", "leave out", "junk"]))
        if mode == "keep":
            data[name] = value
        elif mode == "junk":
            data[name] = draw(junk_for[name])
    return data


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=letter_posts())
def test_fuzzing_the_letter_form_never_fails_and_bad_input_writes_nothing(client, case, clinician, data):
    client.force_login(clinician)
    with transaction.atomic():
        before = CarePlanLetter.objects.count()
        response = client.post(new_url(case), data)
        assert response.status_code in (302, 400)
        event(f"status {response.status_code}")
        written = CarePlanLetter.objects.count() - before
        assert written == (1 if response.status_code == 302 else 0)
        transaction.set_rollback(True)


def test_an_empty_post_is_a_bad_request(client, case, clinician):
    client.force_login(clinician)
    response = client.post(new_url(case), {})
    assert response.status_code == 400
    assert "Write the formulation." in response.content.decode()
    assert CarePlanLetter.objects.count() == 0


@settings(max_examples=50, deadline=None)
@given(goals=st.text(min_size=1, max_size=3000), name=st.text(min_size=1, max_size=100), network=st.text())
def test_any_text_makes_a_pdf(goals, name, network):
    """Names and plans in any script, with markup-like or control characters, still print."""
    organisation = Organisation(name="Northshire NHS Foundation Trust")
    case = Case(
        team=Team(name="Riverside CAMHS", organisation=organisation),
        child_first_name=name,
        child_last_name="Hughes",
        child_date_of_birth=date(2014, 5, 17),
        family_reference="NS1",
        referrer=name,
    )
    letter = CarePlanLetter(
        case=case,
        goals=goals,
        formulation=goals,
        risk_plan="No current risk.",
        review_on=date(2027, 5, 10),
        network=network,
        written_by=User(first_name="Sam", last_name="Clinician", username="sam"),
        written_at=timezone.now(),
    )
    assert "Mon 10 May 2027" in pdf_text(letters.letter_pdf(letter))
