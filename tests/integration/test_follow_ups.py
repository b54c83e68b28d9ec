"""Appointments after the first Core appointment: booked between clinician and family with one
or two clinicians, never over anything else in their diaries, a bank holiday or an absence;
outcomes recorded (a cancellation frees the time); attended Core appointments counted per case,
with a review flag past the team's setting. And their pages, and the case page's panel."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.calendar import bank_holidays
from diary import follow_ups
from diary.booking import BookingError
from diary.models import (
    Appointment,
    AppointmentKind,
    AppointmentSlot,
    AppointmentStatus,
    ClinicianTime,
    SlotKind,
)
from diary.slots import at
from partnership.models import CaseState
from planning.models import PlanningSettings
from tests.factories import (
    AbsenceFactory,
    AppointmentFactory,
    CaseFactory,
    SlotFactory,
    TeamSessionFactory,
    VenueFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db


def working_day(weeks_ahead: int = 2) -> date:
    """A weekday some weeks ahead that is not a bank holiday in England."""
    day = timezone.localdate() + timedelta(weeks=weeks_ahead)
    while day.weekday() >= 5 or day in bank_holidays("ENG", day.year):
        day += timedelta(days=1)
    return day


def hours(day: date, start: str, end: str) -> tuple[datetime, datetime]:
    return at(day, time.fromisoformat(start)), at(day, time.fromisoformat(end))


@pytest.fixture
def venue(team):
    return VenueFactory(team=team)


@pytest.fixture
def family(team, choice_clinician):
    return CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP, created_by=choice_clinician)


def book(case, clinicians, venue, starts_at, ends_at, by):
    return follow_ups.book_follow_up(
        case=case, clinicians=clinicians, venue=venue, starts_at=starts_at, ends_at=ends_at, by=by
    )


def held(case, clinician, *, starts_at, status=AppointmentStatus.ATTENDED, kind=AppointmentKind.FOLLOW_UP):
    """An appointment after the first written straight to the database (past ones cannot be
    booked), with its clinician's time."""
    finished = status != AppointmentStatus.BOOKED
    appointment = Appointment.objects.create(
        team=case.team,
        case=case,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        venue=VenueFactory(team=case.team),
        status=status,
        booked_by=clinician,
        booked_at=starts_at - timedelta(days=7),
        outcome_by=clinician if finished else None,
        outcome_at=starts_at + timedelta(hours=1) if finished else None,
    )
    ClinicianTime.objects.create(
        clinician=clinician, appointment=appointment, during=(appointment.starts_at, appointment.ends_at)
    )
    return appointment


def counts():
    return Appointment.objects.count(), ClinicianTime.objects.count()


# --- Booking ---------------------------------------------------------------------------------------


def test_a_joint_follow_up_takes_both_clinicians_time_and_no_slot(team, choice_clinician, family, venue):
    colleague = clinician_in(team)
    starts_at, ends_at = hours(working_day(), "10:00", "11:00")

    appointment = book(family, [choice_clinician, colleague], venue, starts_at, ends_at, choice_clinician)

    appointment.refresh_from_db()
    assert appointment.kind == AppointmentKind.FOLLOW_UP
    assert (appointment.starts_at, appointment.ends_at, appointment.venue) == (starts_at, ends_at, venue)
    assert (appointment.status, appointment.booked_by) == (AppointmentStatus.BOOKED, choice_clinician)
    assert not AppointmentSlot.objects.filter(appointment=appointment).exists()
    times = ClinicianTime.objects.filter(appointment=appointment, is_live=True)
    assert {t.clinician for t in times} == {choice_clinician, colleague}
    assert all((t.during.lower, t.during.upper) == (starts_at, ends_at) for t in times)
    assert set(appointment.clinicians) == {choice_clinician, colleague}


def test_the_same_clinician_twice_is_one_clinician(team, choice_clinician, family, venue):
    starts_at, ends_at = hours(working_day(), "10:00", "11:00")
    appointment = book(
        family, [choice_clinician, choice_clinician], venue, starts_at, ends_at, choice_clinician
    )
    assert ClinicianTime.objects.filter(appointment=appointment).count() == 1


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("slot", "has a slot at 10:00"),
        ("session", "has a team meeting at 10:00"),
        ("follow_up", "an appointment"),
    ],
)
def test_a_clash_is_refused_naming_what_clashes_and_nothing_is_written(
    team, choice_clinician, family, venue, what, message
):
    colleague = clinician_in(team)
    day = working_day()
    busy_from, busy_to = hours(day, "10:00", "11:00")
    if what == "slot":
        SlotFactory(team=team, venue=venue, clinicians=[colleague], starts_at=busy_from, ends_at=busy_to)
    elif what == "session":
        session = TeamSessionFactory(team=team, starts_at=busy_from, ends_at=busy_to)
        ClinicianTime.objects.create(clinician=colleague, team_session=session, during=(busy_from, busy_to))
    else:
        other = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
        book(other, [colleague], venue, busy_from, busy_to, choice_clinician)
    before = counts()

    with pytest.raises(follow_ups.FollowUpClash) as clash:
        book(family, [choice_clinician, colleague], venue, *hours(day, "10:30", "11:30"), choice_clinician)

    assert isinstance(clash.value, BookingError)
    assert str(colleague) in clash.value.message
    assert message in clash.value.message
    assert "nothing was booked" in clash.value.message
    assert [c.clinician for c in clash.value.clashes] == [colleague]
    assert counts() == before


def test_a_lost_race_to_the_constraint_is_a_clash_and_nothing_is_half_written(
    team, choice_clinician, family, venue, monkeypatch
):
    """If something lands in a diary between the polite check and the insert, the exclusion
    constraint refuses it: a BookingError naming the clash, and no appointment left behind."""
    colleague = clinician_in(team)
    day = working_day()
    SlotFactory(team=team, venue=venue, clinicians=[colleague], starts_at=hours(day, "10:00", "11:00")[0])
    real = follow_ups.clashes_for
    calls = []

    def blind_first_time(**kwargs):
        calls.append(kwargs)
        return [] if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(follow_ups, "clashes_for", blind_first_time)
    before = counts()

    with pytest.raises(follow_ups.FollowUpClash, match="has a slot at 10:00"):
        book(family, [choice_clinician, colleague], venue, *hours(day, "10:30", "11:30"), choice_clinician)

    assert len(calls) == 2
    assert counts() == before


def test_back_to_back_appointments_are_allowed(team, choice_clinician, family, venue):
    day = working_day()
    SlotFactory(
        team=team, venue=venue, clinicians=[choice_clinician], starts_at=hours(day, "09:00", "10:00")[0]
    )
    first = book(family, [choice_clinician], venue, *hours(day, "10:00", "11:00"), choice_clinician)
    second = book(family, [choice_clinician], venue, *hours(day, "11:00", "12:00"), choice_clinician)
    assert first.ends_at == second.starts_at
    assert ClinicianTime.objects.filter(clinician=choice_clinician, is_live=True).count() == 3


def test_a_bank_holiday_is_refused(team, choice_clinician, family, venue):
    today = timezone.localdate()
    holiday = min(
        day
        for year in (today.year, today.year + 1)
        for day in bank_holidays(team.nation, year)
        if day > today + timedelta(days=1)
    )
    with pytest.raises(follow_ups.FollowUpError, match="is a bank holiday") as refused:
        book(family, [choice_clinician], venue, *hours(holiday, "10:00", "11:00"), choice_clinician)
    assert refused.value.field == "day"
    assert counts() == (0, 0)


def test_a_clinicians_absence_is_refused(team, choice_clinician, family, venue):
    colleague = clinician_in(team)
    day = working_day()
    AbsenceFactory(team=team, clinician=colleague, starts_on=day - timedelta(days=3), ends_on=day)
    with pytest.raises(follow_ups.FollowUpError, match=f"{colleague} is away"):
        book(family, [choice_clinician, colleague], venue, *hours(day, "10:00", "11:00"), choice_clinician)
    assert counts() == (0, 0)
    # The day after the absence is fine.
    book(
        family,
        [choice_clinician, colleague],
        venue,
        *hours(working_day(3), "10:00", "11:00"),
        choice_clinician,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("not_in_partnership", "families in Partnership"),
        ("in_the_past", "must start in the future"),
        ("three_clinicians", "two for joint work"),
        ("nobody", "Choose the clinician"),
        ("another_team", "clinicians of this team only"),
        ("another_venue", "team's venues"),
        ("too_long", "4 hours or shorter"),
        ("ends_first", "end after it starts"),
    ],
)
def test_details_that_do_not_make_an_appointment_are_refused(
    team, other_team, choice_clinician, family, venue, change, message
):
    clinicians = [choice_clinician]
    starts_at, ends_at = hours(working_day(), "10:00", "11:00")
    if change == "not_in_partnership":
        family = CaseFactory(team=team, state=CaseState.FIRST_CORE_BOOKED)
    elif change == "in_the_past":
        starts_at, ends_at = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(minutes=5)
    elif change == "three_clinicians":
        clinicians += [clinician_in(team), clinician_in(team)]
    elif change == "nobody":
        clinicians = []
    elif change == "another_team":
        clinicians = [clinician_in(other_team)]
    elif change == "another_venue":
        venue = VenueFactory(team=other_team)
    elif change == "too_long":
        ends_at = starts_at + timedelta(hours=5)
    elif change == "ends_first":
        starts_at, ends_at = ends_at, starts_at
    with pytest.raises(follow_ups.FollowUpError, match=message):
        book(family, clinicians, venue, starts_at, ends_at, choice_clinician)
    assert counts() == (0, 0)


# --- Outcomes --------------------------------------------------------------------------------------


def test_attended_and_dna_only_once_the_appointment_has_started(team, choice_clinician, family, venue):
    future = book(
        family, [choice_clinician], venue, *hours(working_day(), "10:00", "11:00"), choice_clinician
    )
    with pytest.raises(follow_ups.FollowUpError, match="once it has started"):
        follow_ups.record_follow_up_outcome(
            appointment=future, outcome=AppointmentStatus.ATTENDED, by=choice_clinician
        )

    past = held(family, choice_clinician, starts_at=timezone.now() - timedelta(hours=2), status="booked")
    follow_ups.record_follow_up_outcome(appointment=past, outcome=AppointmentStatus.DNA, by=choice_clinician)
    past.refresh_from_db()
    assert (past.status, past.outcome_by, past.cancel_reason) == (AppointmentStatus.DNA, choice_clinician, "")
    assert past.outcome_at is not None
    assert ClinicianTime.objects.get(appointment=past).is_live  # the time was used

    with pytest.raises(follow_ups.FollowUpError, match="already has an outcome: did not attend"):
        follow_ups.record_follow_up_outcome(
            appointment=past, outcome=AppointmentStatus.ATTENDED, by=choice_clinician
        )


def test_a_started_appointment_cannot_be_cancelled(team, choice_clinician, family):
    past = held(family, choice_clinician, starts_at=timezone.now() - timedelta(minutes=5), status="booked")
    with pytest.raises(follow_ups.FollowUpError, match="has started"):
        follow_ups.record_follow_up_outcome(
            appointment=past, outcome=AppointmentStatus.CANCELLED_BY_FAMILY, reason="Ill", by=choice_clinician
        )
    past.refresh_from_db()
    assert past.status == AppointmentStatus.BOOKED


def test_a_cancellation_needs_a_reason(team, choice_clinician, family, venue):
    appointment = book(
        family, [choice_clinician], venue, *hours(working_day(), "10:00", "11:00"), choice_clinician
    )
    with pytest.raises(follow_ups.FollowUpError, match="reason") as refused:
        follow_ups.record_follow_up_outcome(
            appointment=appointment,
            outcome=AppointmentStatus.CANCELLED_BY_SERVICE,
            reason=" ",
            by=choice_clinician,
        )
    assert refused.value.field == "reason"


def test_a_cancellation_frees_the_time_so_it_can_be_booked_again(team, choice_clinician, family, venue):
    colleague = clinician_in(team)
    when = hours(working_day(), "10:00", "11:00")
    first = book(family, [choice_clinician, colleague], venue, *when, choice_clinician)
    with pytest.raises(follow_ups.FollowUpClash):
        book(
            CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP),
            [colleague],
            venue,
            *when,
            choice_clinician,
        )

    follow_ups.record_follow_up_outcome(
        appointment=first, outcome=AppointmentStatus.CANCELLED_BY_FAMILY, reason="  Exams  ", by=colleague
    )

    first.refresh_from_db()
    assert (first.status, first.cancel_reason, first.outcome_by) == (
        "cancelled_by_family",
        "Exams",
        colleague,
    )
    assert not ClinicianTime.objects.filter(appointment=first, is_live=True).exists()
    again = book(family, [choice_clinician, colleague], venue, *when, choice_clinician)
    assert ClinicianTime.objects.filter(appointment=again, is_live=True).count() == 2


def test_a_first_core_appointment_is_not_recorded_here(team, choice_clinician):
    first_core = AppointmentFactory(team=team, starts_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(follow_ups.FollowUpError, match="not an appointment after the first"):
        follow_ups.record_follow_up_outcome(
            appointment=first_core, outcome=AppointmentStatus.ATTENDED, by=choice_clinician
        )


# --- Counts and the review flag ----------------------------------------------------------------------


def test_counts_attended_core_appointments_of_many_cases_in_one_query(team, choice_clinician):
    long_one, short_one, none_yet = (CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP) for _ in range(3))
    start = timezone.now() - timedelta(days=200)
    AppointmentFactory(team=team, case=long_one, attended=True, starts_at=start)  # the first Core one
    for week in range(1, 12):
        held(long_one, choice_clinician, starts_at=start + timedelta(weeks=week))
    held(long_one, choice_clinician, starts_at=start + timedelta(weeks=13), status=AppointmentStatus.DNA)
    held(
        long_one,
        choice_clinician,
        starts_at=timezone.now() + timedelta(days=3),
        status=AppointmentStatus.BOOKED,
    )
    AppointmentFactory(team=team, case=short_one, attended=True, starts_at=start)
    colleague = clinician_in(team)
    held(short_one, colleague, starts_at=start + timedelta(weeks=1))
    held(short_one, colleague, starts_at=start + timedelta(weeks=2), kind=AppointmentKind.SPECIFIC)
    held(none_yet, colleague, starts_at=start, kind=SlotKind.CHOICE)

    with CaptureQueriesContext(connection) as captured:
        found = follow_ups.appointment_counts([long_one, short_one, none_yet.pk])

    assert len(captured.captured_queries) == 1
    assert found == {long_one.pk: 12, short_one.pk: 2, none_yet.pk: 0}
    with CaptureQueriesContext(connection) as captured:
        assert follow_ups.appointment_counts([]) == {}
    assert captured.captured_queries == []


def test_the_flag_is_raised_past_the_teams_setting():
    settings = PlanningSettings()
    assert settings.core_appointments_flag == 10
    assert not follow_ups.past_appointment_flag(9, settings)
    assert not follow_ups.past_appointment_flag(10, settings)
    assert follow_ups.past_appointment_flag(11, settings)
    assert follow_ups.past_appointment_flag(7, PlanningSettings(core_appointments_flag=6))


# --- Pages -----------------------------------------------------------------------------------------


def form_data(day: date, clinicians, venue, starts="10:00", ends="11:00") -> dict:
    return {
        "day_day": str(day.day),
        "day_month": str(day.month),
        "day_year": str(day.year),
        "starts": starts,
        "ends": ends,
        "venue": str(venue.pk),
        "clinicians": [str(c.pk) for c in clinicians],
    }


def new_url(team, case):
    return reverse("diary:follow-up-new", args=[team.pk, case.pk])


def test_a_clinician_books_the_next_appointment_from_the_form(client, team, choice_clinician, family, venue):
    client.force_login(choice_clinician)
    page = client.get(new_url(team, family))
    assert page.status_code == 200
    assert "Book the appointment" in page.content.decode()

    day = working_day()
    response = client.post(new_url(team, family), form_data(day, [choice_clinician], venue))

    appointment = Appointment.objects.get(kind=AppointmentKind.FOLLOW_UP)
    assert response.status_code == 302
    assert response["Location"] == reverse("partnership:case-detail", args=[team.pk, family.pk])
    assert appointment.starts_at == at(day, time(10))
    assert appointment.clinicians == [choice_clinician]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"starts": "25:00"}, "starts", "Enter a time like 14:30"),
        ({"ends": "09:00"}, "ends", "The appointment must end after it starts"),
        ({"day_month": "13"}, "day", ""),
        ({"clinicians": []}, "clinicians", "Choose the clinician who will see the family"),
        ({"venue": ""}, "venue", "Choose a venue"),
    ],
)
def test_bad_input_is_400_with_the_error_beside_the_field_and_nothing_written(
    client, team, choice_clinician, family, venue, change, field, message
):
    client.force_login(choice_clinician)
    response = client.post(
        new_url(team, family), {**form_data(working_day(), [choice_clinician], venue), **change}
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert counts() == (0, 0)


def test_a_clinician_of_another_team_is_refused_as_bad_input(
    client, team, other_team, choice_clinician, family, venue
):
    client.force_login(choice_clinician)
    data = form_data(working_day(), [clinician_in(other_team)], venue)
    response = client.post(new_url(team, family), data)
    assert response.status_code == 400
    assert "clinicians" in response.context["form"].errors
    assert counts() == (0, 0)


def test_a_refusal_from_the_rules_is_400_beside_its_field(client, team, choice_clinician, venue):
    not_yet = CaseFactory(team=team, state=CaseState.FIRST_CORE_BOOKED)
    client.force_login(choice_clinician)
    page = client.get(new_url(team, not_yet))
    assert "This family is first core booked" in page.content.decode()
    response = client.post(new_url(team, not_yet), form_data(working_day(), [choice_clinician], venue))
    assert response.status_code == 400
    assert "families in Partnership" in response.content.decode()
    assert counts() == (0, 0)


def test_a_clash_is_409_with_the_message(client, team, choice_clinician, family, venue):
    day = working_day()
    SlotFactory(
        team=team, venue=venue, clinicians=[choice_clinician], starts_at=hours(day, "10:30", "11:30")[0]
    )
    client.force_login(choice_clinician)
    before = counts()
    response = client.post(new_url(team, family), form_data(day, [choice_clinician], venue))
    assert response.status_code == 409
    assert "has a slot at 10:30" in response.content.decode()
    assert response.context["form"].errors["clinicians"]
    assert counts() == before


def test_admins_may_not_book_and_another_team_is_not_found(
    client, team, other_team, admin, outsider, choice_clinician, family, venue
):
    data = form_data(working_day(), [choice_clinician], venue)
    client.force_login(admin)
    assert client.get(new_url(team, family)).status_code == 403
    assert client.post(new_url(team, family), data).status_code == 403
    client.force_login(outsider)
    assert client.get(new_url(team, family)).status_code == 404
    assert client.post(new_url(team, family), data).status_code == 404
    # A case of another team, through one's own team's address, is not found either.
    elsewhere = CaseFactory(team=other_team, state=CaseState.IN_PARTNERSHIP)
    assert client.get(new_url(other_team, elsewhere)).status_code == 200
    client.force_login(choice_clinician)
    assert client.get(new_url(team, elsewhere)).status_code == 404
    assert counts() == (0, 0)


def outcome_url(team, appointment):
    return reverse("diary:follow-up-outcome", args=[team.pk, appointment.pk])


def test_recording_an_outcome_from_the_case_page(client, team, choice_clinician, family):
    past = held(family, choice_clinician, starts_at=timezone.now() - timedelta(hours=2), status="booked")
    client.force_login(choice_clinician)

    response = client.post(outcome_url(team, past), {"outcome": AppointmentStatus.ATTENDED})

    assert response.status_code == 302
    past.refresh_from_db()
    assert (past.status, past.outcome_by) == (AppointmentStatus.ATTENDED, choice_clinician)


def test_a_bad_outcome_is_400_and_changes_nothing(client, team, choice_clinician, family, venue):
    future = book(
        family, [choice_clinician], venue, *hours(working_day(), "10:00", "11:00"), choice_clinician
    )
    client.force_login(choice_clinician)

    no_choice = client.post(outcome_url(team, future), {})
    no_reason = client.post(outcome_url(team, future), {"outcome": AppointmentStatus.CANCELLED_BY_FAMILY})
    too_early = client.post(outcome_url(team, future), {"outcome": AppointmentStatus.ATTENDED})

    assert (no_choice.status_code, no_reason.status_code, too_early.status_code) == (400, 400, 400)
    assert "Choose what happened" in no_choice.content.decode()
    assert "Enter the reason for the cancellation" in no_reason.content.decode()
    assert "once it has started" in too_early.content.decode()
    future.refresh_from_db()
    assert future.status == AppointmentStatus.BOOKED
    assert ClinicianTime.objects.get(appointment=future).is_live


def test_outcomes_are_for_the_teams_people_and_follow_ups_only(
    client, team, choice_clinician, admin, outsider, family, venue
):
    future = book(
        family, [choice_clinician], venue, *hours(working_day(), "10:00", "11:00"), choice_clinician
    )
    cancel = {"outcome": AppointmentStatus.CANCELLED_BY_SERVICE, "reason": "Clinician ill"}
    client.force_login(admin)
    assert client.post(outcome_url(team, future), cancel).status_code == 403
    client.force_login(outsider)
    assert client.post(outcome_url(team, future), cancel).status_code == 404
    client.force_login(choice_clinician)
    assert client.get(outcome_url(team, future)).status_code == 405
    first_core = AppointmentFactory(team=team)
    assert client.post(outcome_url(team, first_core), cancel).status_code == 404
    future.refresh_from_db()
    assert future.status == AppointmentStatus.BOOKED


# --- The case page's panel ----------------------------------------------------------------------------


def case_page(client, team, case):
    return client.get(reverse("partnership:case-detail", args=[team.pk, case.pk]))


def test_the_panel_lists_appointments_counts_them_and_flags_a_long_case(
    client, team, choice_clinician, family
):
    start = timezone.now() - timedelta(days=200)
    AppointmentFactory(team=team, case=family, attended=True, starts_at=start)
    for week in range(1, 10):
        held(family, choice_clinician, starts_at=start + timedelta(weeks=week))
    upcoming = held(family, choice_clinician, starts_at=timezone.now() + timedelta(days=5), status="booked")
    client.force_login(choice_clinician)

    page = case_page(client, team, family).content.decode()
    assert "10 Core appointments attended" in page
    assert "nhsuk-warning-callout" not in page
    assert outcome_url(team, upcoming) in page
    assert new_url(team, family) in page

    held(family, choice_clinician, starts_at=start + timedelta(weeks=11))
    page = case_page(client, team, family).content.decode()
    assert "11 Core appointments attended" in page
    assert "nhsuk-warning-callout" in page
    assert "more than the team's 10" in page
    # The ten after the first, and the one to come.
    assert page.count('class="nhsuk-card" id="follow-up-') == 11


def test_the_panel_offers_no_booking_to_admins_or_before_partnership(client, team, admin, choice_clinician):
    family = CaseFactory(team=team, state=CaseState.IN_PARTNERSHIP)
    client.force_login(admin)
    page = case_page(client, team, family).content.decode()
    assert "0 Core appointments attended" in page
    assert new_url(team, family) not in page

    waiting = CaseFactory(team=team, state=CaseState.AWAITING_FIRST_CORE)
    client.force_login(choice_clinician)
    assert new_url(team, waiting) not in case_page(client, team, waiting).content.decode()


def test_the_panel_takes_the_same_number_of_queries_for_one_appointment_or_many(
    client, team, choice_clinician, family
):
    client.force_login(choice_clinician)
    start = timezone.now() - timedelta(days=100)
    held(family, choice_clinician, starts_at=start)
    case_page(client, team, family)  # warm up the session and caches
    with CaptureQueriesContext(connection) as one:
        assert case_page(client, team, family).status_code == 200
    colleague = clinician_in(team)
    for week in range(1, 8):
        appointment = held(family, choice_clinician, starts_at=start + timedelta(weeks=week), status="booked")
        ClinicianTime.objects.create(
            clinician=colleague, appointment=appointment, during=(appointment.starts_at, appointment.ends_at)
        )
    with CaptureQueriesContext(connection) as many:
        assert case_page(client, team, family).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)


def test_a_follow_up_shows_in_the_team_week_the_calendar_feed_and_blocks_a_team_session(
    client, team, team_lead, choice_clinician, family, venue
):
    from diary import ical, sessions
    from diary.models import SessionKind

    day = working_day()
    appointment = book(family, [choice_clinician], venue, *hours(day, "10:00", "11:00"), choice_clinician)

    client.force_login(team_lead)
    week = client.get(reverse("diary:team-week", args=[team.pk]) + f"?week={day.isoformat()}")
    assert week.status_code == 200
    assert f"family {family.family_reference}" in week.content.decode()

    assert f"appointment-{appointment.pk}".encode() in ical.feed_for(choice_clinician)

    with pytest.raises(sessions.SessionError, match=f"an appointment with family {family.family_reference}"):
        sessions.put_in_team_session(
            team=team,
            kind=SessionKind.TEAM_MEETING,
            title="",
            venue=venue,
            starts_at=hours(day, "10:30", "11:30")[0],
            ends_at=hours(day, "10:30", "11:30")[1],
            clinicians=[choice_clinician],
            by=team_lead,
        )
