"""Diaries out: each clinician's iCalendar feed behind a secret address, the team's week, and the
team sessions a lead puts in, which block the attending clinicians' time like any appointment."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from capa.templatetags.nhsuk import uk_date
from diary import ical, sessions, slots
from diary.models import (
    AppointmentStatus,
    CalendarFeed,
    ClinicianTime,
    SessionKind,
    SlotStatus,
    TeamSession,
)
from tests.factories import (
    AppointmentFactory,
    CaseFactory,
    ClinicianProfileFactory,
    MembershipFactory,
    SlotFactory,
    TeamSessionFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.diary import clinician_in, next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def tom(team):
    membership = MembershipFactory(
        team=team, user__username="tom.baker", user__first_name="Tom", user__last_name="Baker"
    )
    ClinicianProfileFactory(user=membership.user)
    return membership.user


@pytest.fixture
def venue(team):
    return VenueFactory(team=team, name="Riverside Clinic")


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def by_uid(body: bytes) -> dict:
    return {str(event["UID"]): event for event in events(body)}


def booked(*, clinician, venue, starts_at, case=None, **appointment):
    """A first Core appointment in a slot of the clinician's."""
    slot = SlotFactory(
        team=venue.team,
        venue=venue,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        status=SlotStatus.BOOKED,
        clinicians=[clinician],
    )
    return AppointmentFactory(
        team=venue.team,
        venue=venue,
        case=case or CaseFactory(team=venue.team),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        slots=[slot],
        **appointment,
    )


# --- The feed -------------------------------------------------------------------------------------


def test_the_feed_keeps_wall_clock_times_across_the_2027_clock_change(team, tom, venue):
    # The clocks go forward on Sunday 28 March 2027: 10:00 in London is 10:00Z before, 09:00Z after.
    before = booked(clinician=tom, venue=venue, starts_at=slots.at(date(2027, 3, 23), time(10)))
    after = booked(clinician=tom, venue=venue, starts_at=slots.at(date(2027, 3, 30), time(10)))
    vacant = SlotFactory(
        team=team,
        venue=venue,
        starts_at=slots.at(date(2027, 3, 30), time(14)),
        ends_at=slots.at(date(2027, 3, 30), time(15)),
        clinicians=[tom],
    )

    body = ical.feed_for(tom, now=slots.at(date(2027, 3, 1), time(9)))

    found = by_uid(body)
    assert b"DTSTART:20270323T100000Z" in body
    assert found[f"appointment-{before.pk}@capa"]["DTSTART"].to_ical() == b"20270323T100000Z"
    assert found[f"appointment-{after.pk}@capa"]["DTSTART"].to_ical() == b"20270330T090000Z"
    assert found[f"appointment-{after.pk}@capa"]["DTEND"].to_ical() == b"20270330T100000Z"
    assert found[f"slot-{vacant.pk}@capa"]["DTSTART"].to_ical() == b"20270330T130000Z"


def test_the_feed_names_the_family_by_reference_and_never_the_child(client, team, tom, venue):
    case = CaseFactory(
        team=team, family_reference="NS424242", child_first_name="Matilda", child_last_name="Wormwood"
    )
    appointment = booked(clinician=tom, venue=venue, starts_at=next_weekday_at(10), case=case)
    feed = CalendarFeed.objects.create(clinician=tom, token="a-secret-token-for-tom")

    response = Client().get(reverse("diary:feed", args=[feed.token]))  # no log-in: the token is the key

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content
    assert b"Matilda" not in body
    assert b"Wormwood" not in body
    event = by_uid(body)[f"appointment-{appointment.pk}@capa"]
    assert str(event["SUMMARY"]) == "First Core Partnership: family NS424242"
    assert str(event["LOCATION"]) == "Riverside Clinic"
    assert str(event["STATUS"]) == "CONFIRMED"
    calendar = Calendar.from_ical(body)
    assert str(calendar["PRODID"]) == ical.PRODID
    assert str(calendar["X-WR-CALNAME"]) == "capa diary: Tom Baker"


def test_the_feed_has_vacant_slots_team_sessions_and_cancellations_but_nothing_of_anyone_else(
    team, tom, venue
):
    vacant = SlotFactory(team=team, venue=venue, starts_at=next_weekday_at(9), clinicians=[tom])
    removed = SlotFactory(
        team=team, venue=venue, starts_at=next_weekday_at(15), clinicians=[tom], status=SlotStatus.REMOVED
    )
    cancelled = booked(
        clinician=tom,
        venue=venue,
        starts_at=next_weekday_at(11),
        status=AppointmentStatus.CANCELLED_BY_FAMILY,
        outcome_by=tom,
        outcome_at=next_weekday_at(8),
        cancel_reason="Moved house",
    )
    meeting = TeamSessionFactory(
        team=team, kind=SessionKind.PEER_GROUP, title="", venue=venue, starts_at=next_weekday_at(13)
    )
    ClinicianTime.objects.create(
        clinician=tom, team_session=meeting, during=(meeting.starts_at, meeting.ends_at)
    )
    someone_elses = SlotFactory(team=team, venue=venue, starts_at=next_weekday_at(9))
    long_ago = booked(
        clinician=tom, venue=venue, starts_at=next_weekday_at(10, weeks_ahead=-10), attended=True
    )

    found = by_uid(ical.feed_for(tom))

    assert str(found[f"slot-{vacant.pk}@capa"]["SUMMARY"]) == "Vacant first Core slot"
    assert str(found[f"team-session-{meeting.pk}@capa"]["SUMMARY"]) == "Peer group supervision"
    assert str(found[f"team-session-{meeting.pk}@capa"]["LOCATION"]) == "Riverside Clinic"
    assert str(found[f"appointment-{cancelled.pk}@capa"]["STATUS"]) == "CANCELLED"
    assert f"slot-{removed.pk}@capa" not in found
    assert f"slot-{someone_elses.pk}@capa" not in found
    assert f"appointment-{long_ago.pk}@capa" not in found  # more than 8 weeks ago


def test_resetting_the_address_makes_the_old_one_404(client, tom):
    client.force_login(tom)
    page = client.get(reverse("diary:calendar-settings"))
    old = CalendarFeed.objects.get(clinician=tom).token
    old_url = reverse("diary:feed", args=[old])
    assert f"http://testserver{old_url}" in page.content.decode()
    assert Client().get(old_url).status_code == 200
    assert client.post(reverse("diary:calendar-settings")).status_code == 405  # the settings only show

    asked = client.get(reverse("diary:calendar-reset"))  # asked first: nothing changes yet
    assert "This cannot be undone" in asked.content.decode()
    assert CalendarFeed.objects.get(clinician=tom).token == old
    response = client.post(reverse("diary:calendar-reset"))

    assert response.status_code == 302
    assert response.url == reverse("diary:calendar-settings")
    new = CalendarFeed.objects.get(clinician=tom).token
    assert new != old
    assert len(new) >= 43  # 32 random bytes
    assert Client().get(old_url).status_code == 404
    assert Client().get(reverse("diary:feed", args=[new])).status_code == 200
    assert (
        f"http://testserver{reverse('diary:feed', args=[new])}"
        in client.get(reverse("diary:calendar-settings")).content.decode()
    )


def test_the_feed_needs_no_session_and_keeps_the_security_headers(tom):
    feed = ical.ensure_feed(tom)
    assert ical.ensure_feed(tom).token == feed.token  # made once, then found

    response = Client().get(reverse("diary:feed", args=[feed.token]))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "Content-Security-Policy" in response.headers
    assert "no-store" in response["Cache-Control"]
    assert Client().post(reverse("diary:feed", args=[feed.token])).status_code == 405
    assert Client().get(reverse("diary:feed", args=["not-a-real-token"])).status_code == 404


# --- Team sessions --------------------------------------------------------------------------------


def put_in_meeting(*, team, lead, clinicians, starts_at, hours=1, venue=None):
    return sessions.put_in_team_session(
        team=team,
        kind=SessionKind.TEAM_MEETING,
        title="",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        venue=venue,
        clinicians=clinicians,
        by=lead,
    )


def test_a_team_session_blocks_the_attending_clinicians_time(team, team_lead, tom, venue):
    one_pm = next_weekday_at(13)
    session = put_in_meeting(team=team, lead=team_lead, clinicians=[tom, team_lead], starts_at=one_pm)
    assert ClinicianTime.objects.filter(team_session=session, is_live=True).count() == 2

    with pytest.raises(slots.SlotError, match="clash"):
        slots.put_in_slots(
            team=team,
            clinicians=[tom],
            venue=venue,
            times=[slots.SlotTimes(one_pm + timedelta(minutes=30), one_pm + timedelta(minutes=90))],
            by=tom,
        )
    assert not ClinicianTime.objects.filter(slot__isnull=False, clinician=tom).exists()


def test_a_session_over_a_slot_is_refused_naming_who_clashes_when(team, team_lead, tom, venue):
    ten = next_weekday_at(10)
    SlotFactory(team=team, venue=venue, starts_at=ten, clinicians=[tom])
    before = (TeamSession.objects.count(), ClinicianTime.objects.count())

    with pytest.raises(sessions.SessionError) as refused:
        put_in_meeting(
            team=team, lead=team_lead, clinicians=[tom, team_lead], starts_at=ten - timedelta(minutes=30)
        )

    assert f"Tom Baker has a slot at 10:00 on {uk_date(ten)}" in refused.value.message
    assert [clash.clinician for clash in refused.value.clashes] == [tom]
    assert refused.value.field == "clinicians"
    assert (TeamSession.objects.count(), ClinicianTime.objects.count()) == before


def test_cancelling_a_session_frees_the_time(team, team_lead, tom, venue):
    one_pm = next_weekday_at(13)
    session = put_in_meeting(team=team, lead=team_lead, clinicians=[tom], starts_at=one_pm)

    sessions.cancel_team_session(session=session, by=team_lead)

    session.refresh_from_db()
    assert session.is_cancelled
    assert not ClinicianTime.objects.filter(team_session=session, is_live=True).exists()
    (slot,) = slots.put_in_slots(
        team=team,
        clinicians=[tom],
        venue=venue,
        times=[slots.SlotTimes(one_pm, one_pm + timedelta(hours=1))],
        by=tom,
    )
    assert slot.is_vacant
    with pytest.raises(sessions.SessionError, match="already cancelled"):
        sessions.cancel_team_session(session=session, by=team_lead)


def test_a_session_for_someone_outside_the_team_is_refused(team, other_team, team_lead, outsider):
    with pytest.raises(sessions.SessionError, match="clinicians of this team"):
        put_in_meeting(team=team, lead=team_lead, clinicians=[outsider], starts_at=next_weekday_at(13))
    assert not TeamSession.objects.exists()


def session_form(*, starts_at: datetime, clinicians, hours=1, **extra) -> dict:
    local = starts_at.astimezone(slots.LONDON)
    ends = local + timedelta(hours=hours)
    return {
        "kind": SessionKind.TEAM_MEETING,
        "title": "",
        "day_day": local.day,
        "day_month": local.month,
        "day_year": local.year,
        "starts": local.strftime("%H:%M"),
        "ends": ends.strftime("%H:%M"),
        "venue": "",
        "clinicians": [c.pk for c in clinicians],
        **extra,
    }


def test_a_lead_puts_in_a_meeting_and_sees_it_in_the_week(client, team, team_lead, tom):
    client.force_login(team_lead)
    one_pm = next_weekday_at(13)

    response = client.post(
        reverse("diary:team-session-new", args=[team.pk]),
        session_form(starts_at=one_pm, clinicians=[tom, team_lead], title="Team business meeting"),
    )

    monday = (one_pm - timedelta(days=1)).date()
    assert response.status_code == 302
    assert response["Location"] == reverse("diary:team-week", args=[team.pk]) + f"?week={monday.isoformat()}"
    session = TeamSession.objects.get()
    assert (session.title, session.starts_at, session.created_by) == (
        "Team business meeting",
        one_pm,
        team_lead,
    )
    week = client.get(response["Location"]).content.decode()
    assert week.count("Team business meeting") >= 3  # in Tom's row, the lead's row and the list


def test_a_clashing_session_is_sent_back_with_the_clash_beside_the_clinicians(
    client, team, team_lead, tom, venue
):
    ten = next_weekday_at(10)
    SlotFactory(team=team, venue=venue, starts_at=ten, clinicians=[tom])
    client.force_login(team_lead)

    response = client.post(
        reverse("diary:team-session-new", args=[team.pk]), session_form(starts_at=ten, clinicians=[tom])
    )

    assert response.status_code == 409
    assert f"Tom Baker has a slot at 10:00 on {uk_date(ten)}" in response.content.decode()
    assert response.context["form"].errors["clinicians"]
    assert not TeamSession.objects.exists()


def test_a_session_form_with_mistakes_says_what_to_fix(client, team, team_lead, tom):
    client.force_login(team_lead)
    data = session_form(starts_at=next_weekday_at(13), clinicians=[], ends="12:00", kind="")

    response = client.post(reverse("diary:team-session-new", args=[team.pk]), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["kind"] == ["Choose what kind of session it is"]
    assert errors["clinicians"] == ["Choose at least one clinician who attends"]
    assert errors["ends"] == ["The session must end after it starts"]


def test_a_clinician_may_not_put_in_or_cancel_a_team_session(client, team, team_lead, clinician):
    session = put_in_meeting(team=team, lead=team_lead, clinicians=[team_lead], starts_at=next_weekday_at(13))
    client.force_login(clinician)

    assert client.get(reverse("diary:team-session-new", args=[team.pk])).status_code == 403
    assert (
        client.post(
            reverse("diary:team-session-new", args=[team.pk]),
            session_form(starts_at=next_weekday_at(15), clinicians=[clinician]),
        ).status_code
        == 403
    )
    assert client.post(reverse("diary:team-session-cancel", args=[team.pk, session.pk])).status_code == 403
    assert TeamSession.objects.get().is_cancelled is False


def test_a_lead_cancels_a_session_from_the_week(client, team, team_lead, tom):
    session = put_in_meeting(team=team, lead=team_lead, clinicians=[tom], starts_at=next_weekday_at(13))
    client.force_login(team_lead)
    cancel = reverse("diary:team-session-cancel", args=[team.pk, session.pk])
    day = timezone.localdate(session.starts_at)
    week = reverse("diary:team-week", args=[team.pk]) + f"?week={day.isoformat()}"
    assert cancel in client.get(week).content.decode()

    asked = client.get(cancel).content.decode()  # asked first: nothing changes yet
    assert "this cannot be undone" in asked
    assert str(tom) in asked
    session.refresh_from_db()
    assert not session.is_cancelled
    response = client.post(cancel, follow=True)

    assert response.status_code == 200
    assert "is cancelled: the clinicians&#x27; time is free again" in response.content.decode()
    session.refresh_from_db()
    assert session.is_cancelled


@pytest.mark.django_db(transaction=True)
def test_two_leads_racing_for_the_same_hour_of_one_clinician_get_one_session(team, team_lead, tom):
    other_lead = MembershipFactory(team=team, team_lead=True).user
    one_pm = next_weekday_at(13)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def put_in(lead, minutes):
        try:
            barrier.wait()
            put_in_meeting(
                team=team, lead=lead, clinicians=[tom], starts_at=one_pm + timedelta(minutes=minutes)
            )
            outcomes.append("in")
        except sessions.SessionError as refused:
            outcomes.append(refused.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=put_in, args=(lead, m)) for lead, m in ((team_lead, 0), (other_lead, 30))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("in") == 1
    assert "Tom Baker has" in next(o for o in outcomes if o != "in")
    assert ClinicianTime.objects.filter(clinician=tom, is_live=True).count() == 1


# --- The week view --------------------------------------------------------------------------------


def fill_week(team, venue, clinicians, tuesday: date) -> None:
    """Each clinician: a vacant slot at 09:00, an appointment at 11:00 and the team meeting at 13:00."""
    meeting = TeamSessionFactory(
        team=team,
        title="Team meeting",
        starts_at=slots.at(tuesday, time(13)),
        ends_at=slots.at(tuesday, time(14)),
    )
    for clinician in clinicians:
        SlotFactory(
            team=team,
            venue=venue,
            starts_at=slots.at(tuesday, time(9)),
            ends_at=slots.at(tuesday, time(10)),
            clinicians=[clinician],
        )
        booked(clinician=clinician, venue=venue, starts_at=slots.at(tuesday, time(11)))
        ClinicianTime.objects.create(
            clinician=clinician, team_session=meeting, during=(meeting.starts_at, meeting.ends_at)
        )


def test_the_week_shows_slots_appointments_sessions_and_bank_holidays(client, team, team_lead, tom, venue):
    tuesday = next_weekday_at(9).date()
    fill_week(team, venue, [tom], tuesday)
    client.force_login(team_lead)
    monday = tuesday - timedelta(days=1)

    response = client.get(reverse("diary:team-week", args=[team.pk]) + f"?week={tuesday.isoformat()}")

    assert response.status_code == 200
    week = response.context["week"]
    assert week.monday == monday  # any day of the week shows its Monday
    (row,) = [r for r in week.rows if r.clinician == tom]
    cell = row.cells[1]
    assert cell.day.day == tuesday
    assert [(e.kind, e.starts_at.astimezone(slots.LONDON).time()) for e in cell.entries] == [
        ("vacant", time(9)),
        ("booked", time(11)),
        ("session", time(13)),
    ]
    page = response.content.decode()
    assert "Vacant first Core slot" in page
    assert "First Core Partnership: family NS" in page
    assert "Team meeting" in page
    assert "Put in a team session" in page  # a lead

    # The early May bank holiday, Monday 3 May 2027, is named in its column.
    may = client.get(reverse("diary:team-week", args=[team.pk]) + "?week=2027-05-03")
    assert may.context["week"].days[0].bank_holiday == "May Day"
    assert "May Day" in may.content.decode()


@pytest.mark.parametrize("week", ["not-a-date", "2027-02-30", "9999-12-31", ""])
def test_a_bad_week_shows_this_week(client, team, clinician, week):
    client.force_login(clinician)
    response = client.get(reverse("diary:team-week", args=[team.pk]), {"week": week})
    assert response.status_code == 200
    assert response.context["week"].monday.weekday() == 0
    assert "Put in a team session" not in response.content.decode()  # not a lead


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_week_runs_the_same_queries_for_3_and_30_clinicians(client, team, team_lead, venue):
    tuesday = next_weekday_at(9).date()
    url = reverse("diary:team-week", args=[team.pk]) + f"?week={tuesday.isoformat()}"
    client.force_login(team_lead)
    fill_week(team, venue, [clinician_in(team) for _ in range(3)], tuesday)
    with_3 = queries_for(client, url)
    fill_week(team, venue, [clinician_in(team) for _ in range(27)], tuesday + timedelta(days=1))
    # session, user, the team, the user's roles (their standing in it), the clinicians, their
    # diary time with slots, sessions, venues and appointments, the slots' live bookings with
    # cases, their absences, the nav's memberships with roles, teams and profile, and the
    # session's new expiry (savepoint, update, release): the same for 3 or 30.
    assert queries_for(client, url) == with_3
    assert with_3 == 12


def test_an_admin_reads_the_week_and_another_team_cannot(client, team, admin, outsider):
    client.force_login(admin)
    assert client.get(reverse("diary:team-week", args=[team.pk])).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("diary:team-week", args=[team.pk])).status_code == 404


def test_time_in_another_teams_diary_shows_as_busy_without_details(client, team, other_team, team_lead, tom):
    MembershipFactory(team=other_team, user=tom)
    elsewhere = VenueFactory(team=other_team, name="Hillside Clinic")
    tuesday = next_weekday_at(9).date()
    SlotFactory(
        team=other_team,
        venue=elsewhere,
        starts_at=slots.at(tuesday, time(9)),
        ends_at=slots.at(tuesday, time(10)),
        clinicians=[tom],
        created_by=UserFactory(),
    )
    client.force_login(team_lead)

    page = client.get(reverse("diary:team-week", args=[team.pk]) + f"?week={tuesday.isoformat()}")

    assert "Busy in another team&#x27;s diary" in page.content.decode()
    assert "Hillside Clinic" not in page.content.decode()


def test_the_week_shows_who_is_away_on_which_days(client, team, team_lead, tom, venue):
    from planning.models import AbsenceKind
    from tests.factories import AbsenceFactory

    tuesday = next_weekday_at(9).date()
    monday = tuesday - timedelta(days=1)
    AbsenceFactory(
        team=team,
        clinician=tom,
        kind=AbsenceKind.LONG_SICKNESS,
        starts_on=tuesday,
        ends_on=tuesday + timedelta(days=1),
    )
    client.force_login(team_lead)

    response = client.get(reverse("diary:team-week", args=[team.pk]) + f"?week={monday.isoformat()}")

    (row,) = [r for r in response.context["week"].rows if r.clinician == tom]
    assert [cell.away for cell in row.cells] == [
        "",
        "Away: long-term sickness",
        "Away: long-term sickness",
        "",
        "",
    ]
    assert response.content.decode().count("Away: long-term sickness") == 2


def test_the_feed_asks_outlook_to_refresh_hourly_in_icalendar_durations(tom):
    body = ical.feed_for(tom).decode()
    assert "X-PUBLISHED-TTL:PT1H" in body
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body


def next_bank_holiday(team) -> tuple[date, str]:
    from accounts.calendar import bank_holidays

    today = timezone.localdate()
    ahead = {**bank_holidays(team.nation, today.year), **bank_holidays(team.nation, today.year + 1)}
    return min((day, name) for day, name in ahead.items() if day > today)


def test_no_team_session_on_a_bank_holiday(team, team_lead, tom):
    day, name = next_bank_holiday(team)
    refusal = f"{uk_date(day)} is a bank holiday ({name})"
    with pytest.raises(sessions.SessionError, match=re.escape(refusal)) as refused:
        put_in_meeting(team=team, lead=team_lead, clinicians=[tom], starts_at=slots.at(day, time(10)))
    assert refused.value.field == "day"
    assert not TeamSession.objects.exists()


def test_a_session_decades_ahead_is_a_typing_slip_refused_next_to_the_date(client, team, team_lead, tom):
    client.force_login(team_lead)
    response = client.post(
        reverse("diary:team-session-new", args=[team.pk]),
        {
            "kind": SessionKind.TEAM_MEETING,
            "day_day": "26",
            "day_month": "1",
            "day_year": "2099",
            "starts": "10:00",
            "ends": "11:00",
            "clinicians": [tom.pk],
        },
    )
    assert response.status_code == 400
    assert "Enter a date from today to two years ahead" in response.content.decode()
    assert not TeamSession.objects.exists()


def test_a_sunday_shows_in_the_week_only_when_something_is_in_it(client, team, team_lead, tom, venue):
    today = timezone.localdate()
    sunday = today + timedelta(days=7 + (6 - today.weekday()))  # a Sunday a week or two ahead
    client.force_login(team_lead)
    url = reverse("diary:team-week", args=[team.pk]) + f"?week={sunday.isoformat()}"
    assert [d.day.weekday() for d in client.get(url).context["week"].days] == [0, 1, 2, 3, 4]

    slots.put_in_slots(
        team=team,
        clinicians=[tom],
        venue=venue,
        times=[slots.SlotTimes(slots.at(sunday, time(10)), slots.at(sunday, time(11)))],
        by=team_lead,
    )
    week = client.get(url).context["week"]
    assert [d.day.weekday() for d in week.days] == [0, 1, 2, 3, 4, 6]
    (row,) = [r for r in week.rows if r.clinician == tom]
    assert [e.starts_at.astimezone(slots.LONDON).time() for e in row.cells[-1].entries] == [time(10)]


def test_a_session_put_in_from_a_later_week_starts_on_that_weeks_monday(client, team, team_lead):
    client.force_login(team_lead)
    url = reverse("diary:team-session-new", args=[team.pk])
    today = timezone.localdate()
    monday = today + timedelta(weeks=10, days=-today.weekday())
    page = client.get(url, {"week": (monday + timedelta(days=2)).isoformat()}).content.decode()  # a Wednesday
    assert re.search(rf'name="day_day"[^>]*value="{monday.day}"', page)
    assert re.search(rf'name="day_month"[^>]*value="{monday.month}"', page)
    assert re.search(rf'name="day_year"[^>]*value="{monday.year}"', page)
    # From anywhere else: no date yet.
    assert not re.search(r'name="day_day"[^>]*value="\d', client.get(url).content.decode())


def test_another_teams_absence_and_diary_leave_this_weeks_days_as_they_are(
    client, team, other_team, team_lead, tom, venue
):
    from planning.models import AbsenceKind
    from tests.factories import AbsenceFactory

    MembershipFactory(team=other_team, user=tom)  # Tom works in both teams
    from accounts.calendar import is_bank_holiday

    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    while is_bank_holiday(team.nation, monday):
        monday += timedelta(weeks=1)
    AbsenceFactory(team=other_team, clinician=tom, kind=AbsenceKind.LEAVING, starts_on=monday, ends_on=None)
    saturday = monday + timedelta(days=5)
    SlotFactory(team=other_team, starts_at=slots.at(saturday, time(10)), clinicians=[tom])
    client.force_login(team_lead)

    week = client.get(reverse("diary:team-week", args=[team.pk]) + f"?week={monday.isoformat()}").context[
        "week"
    ]

    assert [d.day.weekday() for d in week.days] == [0, 1, 2, 3, 4]  # the Saturday is the other team's
    (row,) = [r for r in week.rows if r.clinician == tom]
    assert [cell.away for cell in row.cells] == [""] * 5  # leaving Hillside is not leaving Riverside
    made = slots.put_in_slots(
        team=team,
        clinicians=[tom],
        venue=venue,
        times=[slots.SlotTimes(slots.at(monday, time(10)), slots.at(monday, time(11)))],
        by=team_lead,
    )
    assert len(made) == 1
