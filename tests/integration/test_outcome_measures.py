"""Outcome measures of a case: scores of the organisation's own, active measures within their
range, dated between the referral and today, one start and one end score per measure, and the
change from the start read the right way round (a lower SDQ is better, a higher C-GAS is)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from partnership import letters, measures
from partnership.cases import CaseError
from partnership.models import MeasurePoint, OutcomeMeasure, OutcomeScore
from tests.factories import (
    CarePlanLetterFactory,
    CaseFactory,
    OrganisationFactory,
    OutcomeMeasureFactory,
    OutcomeScoreFactory,
)

pytestmark = pytest.mark.django_db

START, REVIEW, END = MeasurePoint.START, MeasurePoint.REVIEW, MeasurePoint.END


@pytest.fixture
def case(team):
    return CaseFactory(team=team, referral_date=date(2026, 9, 7), child_first_name="Maya")


@pytest.fixture(autouse=True)
def default_measures(organisation):
    return measures.ensure_default_measures(organisation)


@pytest.fixture
def sdq(organisation):
    return OutcomeMeasure.objects.get(organisation=organisation, name="SDQ")


@pytest.fixture
def cgas(organisation):
    return OutcomeMeasure.objects.get(organisation=organisation, name="C-GAS")


def day(days_ago: int) -> date:
    return timezone.localdate() - timedelta(days=days_ago)


def score(case, measure, point, value, on, by):
    return measures.record_score(
        case=case, measure=measure, point=point, score=Decimal(str(value)), scored_on=on, by=by
    )


# --- The measures --------------------------------------------------------------------------------


def test_the_default_measures_with_their_ranges_and_directions(organisation):
    found = {
        measure.name: (measure.lowest, measure.highest, measure.higher_is_better)
        for measure in OutcomeMeasure.objects.filter(organisation=organisation)
    }
    assert found == {
        "SDQ": (Decimal("0"), Decimal("40"), False),
        "C-GAS": (Decimal("1"), Decimal("100"), True),
        "HoNOSCA": (Decimal("0"), Decimal("52"), False),
        "Goal-based outcomes": (Decimal("0"), Decimal("10"), True),
    }


def test_making_the_default_measures_again_changes_nothing(organisation, sdq):
    sdq.is_active = False
    sdq.save()
    again = measures.ensure_default_measures(organisation)
    assert len(again) == 4
    assert OutcomeMeasure.objects.filter(organisation=organisation).count() == 4
    assert not OutcomeMeasure.objects.get(pk=sdq.pk).is_active


# --- Recording scores ----------------------------------------------------------------------------


def test_a_score_is_recorded(case, cgas, clinician):
    recorded = score(case, cgas, START, "45", day(10), clinician)
    assert (recorded.score, recorded.point, recorded.by) == (Decimal("45.0"), START, clinician)


def test_another_organisations_measure_is_refused(case, clinician):
    theirs = OutcomeMeasureFactory(organisation=OrganisationFactory(), name="C-GAS")
    with pytest.raises(CaseError) as refused:
        score(case, theirs, START, 45, day(1), clinician)
    assert refused.value.field == "measure"
    assert OutcomeScore.objects.count() == 0


def test_a_switched_off_measure_is_refused(case, cgas, clinician):
    cgas.is_active = False
    cgas.save()
    with pytest.raises(CaseError, match="measures your organisation uses"):
        score(case, cgas, START, 45, day(1), clinician)


@pytest.mark.parametrize(("value", "ok"), [(0, False), (1, True), (100, True), ("100.1", False), (-5, False)])
def test_a_score_must_be_within_the_measures_range(case, cgas, clinician, value, ok):
    if ok:
        score(case, cgas, START, value, day(1), clinician)
        assert OutcomeScore.objects.count() == 1
        return
    with pytest.raises(CaseError, match="Enter a score from 1 to 100 for C-GAS") as refused:
        score(case, cgas, START, value, day(1), clinician)
    assert refused.value.field == "score"
    assert OutcomeScore.objects.count() == 0


def test_a_score_has_at_most_one_decimal_place(case, cgas, clinician):
    with pytest.raises(CaseError, match="one decimal place"):
        score(case, cgas, START, "45.25", day(1), clinician)


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (timezone.localdate() + timedelta(days=1), "cannot be in the future"),
        (date(2026, 9, 6), "cannot be before the referral on Mon 7 Sep 2026"),
    ],
)
def test_a_score_is_dated_between_the_referral_and_today(case, cgas, clinician, on, message):
    with pytest.raises(CaseError, match=message) as refused:
        score(case, cgas, START, 45, on, clinician)
    assert refused.value.field == "scored_on"


@pytest.mark.parametrize("point", [START, END])
def test_a_second_start_or_end_score_is_refused_with_a_clear_message(case, cgas, clinician, point):
    score(case, cgas, point, 45, day(20), clinician)
    with pytest.raises(CaseError) as refused:
        score(case, cgas, point, 50, day(10), clinician)
    assert refused.value.field == "point"
    assert (
        f"already has a{'n' if point == END else ''} {point} score for C-GAS (45 on" in refused.value.message
    )
    assert "Record a review score instead." in refused.value.message
    assert OutcomeScore.objects.count() == 1


def test_reviews_are_scored_as_often_as_needed_but_not_before_the_start(case, cgas, sdq, clinician):
    score(case, cgas, START, 40, day(30), clinician)
    score(case, cgas, REVIEW, 45, day(20), clinician)
    score(case, cgas, REVIEW, 50, day(10), clinician)
    score(case, sdq, START, 30, day(10), clinician)  # another measure has its own start
    with pytest.raises(CaseError, match="before the start score") as refused:
        score(case, cgas, REVIEW, 50, day(31), clinician)
    assert refused.value.field == "scored_on"
    assert OutcomeScore.objects.count() == 4


def test_a_start_score_cannot_come_after_scores_already_recorded(case, cgas, clinician):
    score(case, cgas, REVIEW, 45, day(20), clinician)
    with pytest.raises(CaseError, match="A start score cannot come after"):
        score(case, cgas, START, 40, day(10), clinician)


# --- The changes ---------------------------------------------------------------------------------


def test_changes_read_each_measure_the_right_way_round(case, organisation, cgas, sdq, clinician):
    honosca = OutcomeMeasure.objects.get(organisation=organisation, name="HoNOSCA")
    goals = OutcomeMeasure.objects.get(organisation=organisation, name="Goal-based outcomes")
    score(case, cgas, START, 40, day(60), clinician)
    score(case, cgas, REVIEW, 48, day(30), clinician)
    score(case, cgas, REVIEW, 55, day(20), clinician)
    score(case, cgas, END, 62, day(5), clinician)
    score(case, sdq, START, 25, day(60), clinician)
    score(case, sdq, REVIEW, "19.5", day(30), clinician)
    score(case, honosca, START, 10, day(60), clinician)
    score(case, honosca, REVIEW, 14, day(30), clinician)
    score(case, goals, REVIEW, 6, day(30), clinician)

    rows = {row.measure.name: row for row in measures.score_changes(case)}
    assert list(rows) == ["C-GAS", "Goal-based outcomes", "HoNOSCA", "SDQ"]
    assert (rows["C-GAS"].start.score, rows["C-GAS"].latest_review.score, rows["C-GAS"].end.score) == (
        Decimal("40"),
        Decimal("55"),
        Decimal("62"),
    )
    assert (rows["C-GAS"].change, rows["C-GAS"].improved, rows["C-GAS"].verdict) == (
        Decimal("22"),
        True,
        "Better",
    )
    # No end yet: the latest review against the start; lower is better.
    assert (rows["SDQ"].change, rows["SDQ"].improved, rows["SDQ"].verdict) == (
        Decimal("-5.5"),
        True,
        "Better",
    )
    assert (rows["HoNOSCA"].change, rows["HoNOSCA"].improved, rows["HoNOSCA"].verdict) == (
        Decimal("4"),
        False,
        "Worse",
    )
    # Nothing to compare without a start score.
    assert rows["Goal-based outcomes"].start is None
    assert (rows["Goal-based outcomes"].change, rows["Goal-based outcomes"].improved) == (None, None)


def test_no_change_is_neither_better_nor_worse(case, cgas, clinician):
    score(case, cgas, START, 50, day(20), clinician)
    score(case, cgas, END, 50, day(10), clinician)
    (row,) = measures.score_changes(case)
    assert (row.change, row.improved, row.verdict) == (Decimal("0"), False, "No change")


# --- The pages -----------------------------------------------------------------------------------


def new_url(case):
    return reverse("partnership:score-new", args=[case.team_id, case.pk])


def form_data(of_measure, **changes):
    on = day(3)
    data = {
        "measure": of_measure.pk,
        "point": START,
        "score": "45",
        "scored_on_day": on.day,
        "scored_on_month": on.month,
        "scored_on_year": on.year,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_clinician_records_a_score_and_sees_the_change_on_the_case(client, case, cgas, clinician):
    client.force_login(clinician)
    page = client.get(new_url(case)).content.decode()
    assert "C-GAS (1 to 100, higher is better)" in page
    assert "SDQ (0 to 40, lower is better)" in page
    start = day(20)
    started = form_data(cgas, scored_on_day=start.day, scored_on_month=start.month, scored_on_year=start.year)
    response = client.post(new_url(case), started)
    assert response.status_code == 302
    assert response["Location"].endswith("#care")
    response = client.post(new_url(case), form_data(cgas, point=REVIEW, score="52.5"))
    assert response.status_code == 302
    page = client.get(case.get_absolute_url()).content.decode()
    assert "How each measure has changed since the start" in page
    assert "+7.5" in page
    assert "Better" in page


def test_the_score_page_makes_the_default_measures_for_an_organisation_without_any(client, clinician, team):
    OutcomeMeasure.objects.all().delete()
    case = CaseFactory(team=team)
    client.force_login(clinician)
    assert client.get(new_url(case)).status_code == 200
    assert OutcomeMeasure.objects.filter(organisation=team.organisation).count() == 4


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"score": "101"}, "score", "Enter a score from 1 to 100 for C-GAS."),
        ({"score": "abc"}, "score", "Enter the score as a number"),
        ({"score": ""}, "score", "Enter the score"),
        ({"point": "middle"}, "point", "Choose start, review or end"),
        ({"measure": "999999"}, "measure", "Choose one of the measures your organisation uses."),
        ({"scored_on_year": "2030"}, "scored_on", "The date cannot be in the future."),
        ({"scored_on_day": "32"}, "scored_on", "Date must be a real date"),
    ],
)
def test_bad_input_is_a_bad_request_with_the_error_at_the_field(
    client, case, cgas, clinician, changes, field, message
):
    client.force_login(clinician)
    response = client.post(new_url(case), form_data(cgas, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    start = page.find(f'id="id_{field}-error"')
    assert start >= 0, f"no error next to {field}"
    assert message in page[start : start + 300]
    assert OutcomeScore.objects.count() == 0


def test_a_second_start_score_through_the_page_is_refused_next_to_when(client, case, cgas, clinician):
    OutcomeScoreFactory(
        case=case, measure=cgas, point=START, scored_on=day(30), score=Decimal("40"), by=clinician
    )
    client.force_login(clinician)
    response = client.post(new_url(case), form_data(cgas))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This case already has a start score for C-GAS (40 on" in page[page.find('id="id_point-error"') :]
    assert OutcomeScore.objects.count() == 1


def test_another_organisations_measure_is_not_a_choice(client, case, clinician):
    theirs = OutcomeMeasureFactory(organisation=OrganisationFactory(), name="SDQ")
    client.force_login(clinician)
    response = client.post(new_url(case), form_data(theirs, score="10"))
    assert response.status_code == 400
    assert OutcomeScore.objects.count() == 0


def test_an_admin_sees_the_scores_but_does_not_record_them(client, case, cgas, clinician, admin):
    OutcomeScoreFactory(case=case, measure=cgas, scored_on=day(30), by=clinician)
    client.force_login(admin)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "How each measure has changed since the start" in page
    assert "Record an outcome score" not in page
    assert "Write a care plan letter" not in page
    assert client.get(new_url(case)).status_code == 403
    assert client.post(new_url(case), form_data(cgas, point=REVIEW)).status_code == 403
    assert OutcomeScore.objects.count() == 1


def test_another_team_cannot_record_or_see_scores(client, case, cgas, outsider):
    client.force_login(outsider)
    assert client.get(new_url(case)).status_code == 404
    assert client.post(new_url(case), form_data(cgas)).status_code == 404
    assert OutcomeScore.objects.count() == 0


def test_the_case_page_panel_takes_the_same_queries_for_one_or_many_letters_and_scores(
    client, team, organisation, clinician
):
    """The panel adds two queries: the letters with their writers and senders, and the scores
    with their measures, however many there are."""
    client.force_login(clinician)
    few, many = CaseFactory(team=team), CaseFactory(team=team)
    CarePlanLetterFactory(case=few, written_by=clinician)
    OutcomeScoreFactory(case=few, measure__name="C-GAS", scored_on=day(30), by=clinician)
    for _ in range(6):
        letter = CarePlanLetterFactory(case=many, written_by=clinician)
        letters.mark_sent(letter=letter, by=clinician)
    for measure in OutcomeMeasure.objects.filter(organisation=organisation):
        OutcomeScoreFactory(case=many, measure=measure, point=START, score=measure.lowest, scored_on=day(30))
        OutcomeScoreFactory(case=many, measure=measure, point=REVIEW, score=measure.lowest, scored_on=day(20))
        OutcomeScoreFactory(case=many, measure=measure, point=END, score=measure.highest, scored_on=day(10))

    def queries(case):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(case.get_absolute_url()).status_code == 200
        return len(captured)

    queries(few)  # the session and the user are cached from here on
    assert queries(few) == queries(many)


# --- Fuzzing the form ------------------------------------------------------------------------------

junk = st.text(max_size=20)


@st.composite
def score_posts(draw, measure_ids: list[int], valid_posts: list[dict]):
    """A valid score with each field kept, left out or replaced by junk."""
    on = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)))
    junk_for = {
        "measure": st.one_of(st.sampled_from(measure_ids).map(str), junk, st.integers().map(str)),
        "point": st.one_of(st.sampled_from(MeasurePoint.values), junk),
        "score": st.one_of(
            st.decimals(allow_nan=True, allow_infinity=True).map(str),
            st.floats().map(str),
            st.integers(min_value=-1000, max_value=1000).map(str),
            junk,
        ),
        "scored_on_day": st.one_of(st.just(str(on.day)), junk),
        "scored_on_month": st.one_of(st.just(str(on.month)), junk),
        "scored_on_year": st.one_of(st.just(str(on.year)), junk),
    }
    data = {}
    for name, value in draw(st.sampled_from(valid_posts)).items():
        mode = draw(st.sampled_from(["keep", "keep", "keep", "leave out", "junk"]))
        if mode == "keep":
            data[name] = value
        elif mode == "junk":
            data[name] = draw(junk_for[name])
    return data


@pytest.fixture
def fuzz_world(case, organisation, cgas, sdq, clinician):
    """The organisation's measures, one switched off, another organisation's; a start score."""
    honosca = OutcomeMeasure.objects.get(organisation=organisation, name="HoNOSCA")
    honosca.is_active = False
    honosca.save()
    theirs = OutcomeMeasureFactory(organisation=OrganisationFactory(name="Elsewhere"), name="SDQ")
    OutcomeScoreFactory(
        case=case, measure=sdq, point=START, score=Decimal("30"), scored_on=day(40), by=clinician
    )
    valid_posts = [
        form_data(cgas, point=point, score=value)
        for point in MeasurePoint.values
        for value in ("1", "55.5", "100")
    ] + [form_data(sdq, point=REVIEW, score="12"), form_data(sdq, point=END, score="0")]
    return {"measure_ids": [cgas.pk, sdq.pk, honosca.pk, theirs.pk], "valid_posts": valid_posts}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzing_the_score_form_never_fails_and_bad_input_writes_nothing(
    client, case, clinician, fuzz_world, data
):
    post = data.draw(score_posts(**fuzz_world))
    client.force_login(clinician)
    with transaction.atomic():
        before = OutcomeScore.objects.count()
        response = client.post(new_url(case), post)
        assert response.status_code in (302, 400)
        event(f"status {response.status_code}")
        assert OutcomeScore.objects.count() - before == (1 if response.status_code == 302 else 0)
        transaction.set_rollback(True)


def test_an_empty_post_is_a_bad_request(client, case, clinician):
    client.force_login(clinician)
    response = client.post(new_url(case), {})
    assert response.status_code == 400
    assert "Enter the score" in response.content.decode()
    assert OutcomeScore.objects.count() == 0
