"""The Choice clinician searches the Partnership diary by what the family needs: skills, venues,
dates, days, times of day, a named clinician, joint work; earliest first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SkillKind, SkillLevel
from capa.partials import ERRORS_SHOWN
from diary import search
from diary.models import ClinicianTime, Slot
from tests.factories import ClinicianSkillFactory, SkillFactory, SlotFactory, UserFactory, VenueFactory
from tests.factories.diary import clinician_in, next_weekday_at

pytestmark = pytest.mark.django_db


def holding(team, *skills):
    clinician = clinician_in(team)
    for skill in skills:
        ClinicianSkillFactory(profile=clinician.clinician_profile, skill=skill)
    return clinician


def found(filters: search.Filters) -> list[tuple[int, ...]]:
    return [tuple(slot.pk for slot in result.slots) for result in search.search(filters)]


def test_skills_must_all_be_held_and_an_advanced_domain_meets_a_core_request(team):
    org = team.organisation
    systemic = SkillFactory(organisation=org, name="Systemic")
    systemic_advanced = SkillFactory(organisation=org, name="Systemic", level=SkillLevel.ADVANCED)
    emdr = SkillFactory(
        organisation=org, name="EMDR", kind=SkillKind.ADVANCED_SKILL, level=SkillLevel.ADVANCED
    )
    both = SlotFactory(team=team, clinicians=[holding(team, systemic_advanced, emdr)])
    systemic_only = SlotFactory(team=team, clinicians=[holding(team, systemic)])
    SlotFactory(team=team, clinicians=[holding(team)])

    assert found(search.Filters(team=team, skills=[systemic])) == [(both.pk,), (systemic_only.pk,)]
    assert found(search.Filters(team=team, skills=[systemic, emdr])) == [(both.pk,)]
    assert found(search.Filters(team=team, skills=[systemic_advanced])) == [(both.pk,)]


def test_venues_days_times_and_dates_narrow_the_results(team):
    riverside, eastgate = VenueFactory(team=team), VenueFactory(team=team)
    tuesday_morning = next_weekday_at(9, weeks_ahead=3)
    tuesday_after_school = tuesday_morning.replace(hour=16)
    wednesday_afternoon = tuesday_morning.replace(hour=13) + timedelta(days=1)
    morning = SlotFactory(team=team, venue=riverside, starts_at=tuesday_morning)
    after_school = SlotFactory(team=team, venue=riverside, starts_at=tuesday_after_school)
    afternoon = SlotFactory(team=team, venue=eastgate, starts_at=wednesday_afternoon)

    assert found(search.Filters(team=team, venues=[riverside])) == [(morning.pk,), (after_school.pk,)]
    assert found(search.Filters(team=team, weekdays=[3])) == [(afternoon.pk,)]
    assert found(search.Filters(team=team, times_of_day=["after_school"])) == [(after_school.pk,)]
    assert found(search.Filters(team=team, times_of_day=["morning", "afternoon"])) == [
        (morning.pk,),
        (afternoon.pk,),
    ]
    wednesday = wednesday_afternoon.date()
    assert found(search.Filters(team=team, date_from=wednesday)) == [(afternoon.pk,)]
    assert found(search.Filters(team=team, date_to=wednesday - timedelta(days=1))) == [
        (morning.pk,),
        (after_school.pk,),
    ]


def test_joint_work_finds_joint_slots_and_pairs_of_clinicians_at_the_same_place_and_time(team):
    venue = VenueFactory(team=team)
    a, b, c = clinician_in(team), clinician_in(team), clinician_in(team)
    joint = SlotFactory(team=team, venue=venue, clinicians=[a, b])
    when = {"starts_at": joint.starts_at + timedelta(days=1), "ends_at": joint.ends_at + timedelta(days=1)}
    with_b = SlotFactory(team=team, venue=venue, clinicians=[b], **when)
    with_c = SlotFactory(team=team, venue=venue, clinicians=[c], **when)
    SlotFactory(team=team, venue=VenueFactory(team=team), clinicians=[a], **when)  # elsewhere: no pair

    assert found(search.Filters(team=team, joint=True)) == [(joint.pk,), (with_b.pk, with_c.pk)]
    assert found(search.Filters(team=team, joint=True, clinician=c)) == [(with_b.pk, with_c.pk)]
    assert (joint.pk,) not in found(search.Filters(team=team))  # one-clinician searches leave joint slots out


def test_a_named_clinician_and_past_booked_or_other_teams_slots(team, other_team):
    mine = clinician_in(team)
    wanted = SlotFactory(team=team, clinicians=[mine])
    SlotFactory(team=team)
    SlotFactory(team=other_team)
    SlotFactory(team=team, clinicians=[mine], status="booked")
    past = SlotFactory(team=team, clinicians=[mine])
    Slot.objects.filter(pk=past.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    assert found(search.Filters(team=team, clinician=mine)) == [(wanted.pk,)]


def many_slots(team, count: int) -> None:
    """`count` vacant slots for five clinicians, written in bulk (factories would take minutes)."""
    clinicians = [clinician_in(team) for _ in range(5)]
    venue = VenueFactory(team=team)
    creator = UserFactory()
    start = next_weekday_at(9, weeks_ahead=1)
    slots = Slot.objects.bulk_create(
        Slot(
            team=team,
            venue=venue,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=50),
            created_by=creator,
        )
        for i in range(count)
    )
    ClinicianTime.objects.bulk_create(
        ClinicianTime(clinician=clinicians[i % 5], slot=slot, during=(slot.starts_at, slot.ends_at))
        for i, slot in enumerate(slots)
    )


@pytest.mark.parametrize("joint", [False, True])
def test_search_results_cost_the_same_queries_for_10_and_1000_slots(client, team, choice_clinician, joint):
    skill = SkillFactory(organisation=team.organisation, name="Cognitive")
    client.force_login(choice_clinician)
    url = reverse("diary:search", args=[team.pk])
    params = {"skills": [skill.pk], "times_of_day": ["morning", "afternoon"], "weekdays": [1, 2, 3, 4, 5]}
    if joint:
        params["joint"] = "on"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(
                    url, params, headers={"HX-Request": "true", "HX-Target": "search-results"}
                ).status_code
                == 200
            )
        return len(captured)

    many_slots(team, 10)
    with_10 = queries()
    many_slots(team, 990)
    # session, user, team, membership (access), the team's clinicians' skills, the skill catalogue,
    # the form's skills, venues and clinicians (validation), the slots, their clinicians, and the
    # session's new expiry: the same for 10 slots or 1,000.
    assert queries() == with_10


def test_filters_changed_with_javascript_show_their_errors_by_the_fields_and_clear_them(
    client, team, choice_clinician
):
    """htmx asks for the results alone: the answer also carries, to swap in by the filters, each
    field that shows an error, and each that showed one before (named by the page) to clear it."""
    client.force_login(choice_clinician)
    url = reverse("diary:search", args=[team.pk])
    htmx = {"HX-Request": "true", "HX-Target": "search-results"}
    backwards = {"date_from_day": "12", "date_from_month": "1", "date_from_year": "2027"} | {
        "date_to_day": "5",
        "date_to_month": "1",
        "date_to_year": "2027",
    }

    wrong = client.get(url, backwards, headers=htmx).content.decode()
    to_group = re.search(r'<div class="nhsuk-form-group[^"]*" id="id_date_to-group"[^>]*>', wrong)
    assert to_group is not None, wrong
    assert "nhsuk-form-group--error" in to_group.group(0)
    assert 'hx-swap-oob="true"' in to_group.group(0)
    assert "The &#x27;to&#x27; date must be on or after the &#x27;from&#x27; date" in wrong
    assert 'id="id_date_from-group"' not in wrong  # a field without an error, never shown with one
    assert 'href="#id_date_to_day"' in wrong  # and the summary by the results links to it

    backwards["date_to_month"] = "2"
    cleared = client.get(url, backwards, headers={**htmx, ERRORS_SHOWN: "id_date_to-group"}).content.decode()
    to_group = re.search(r'<div class="nhsuk-form-group[^"]*" id="id_date_to-group"[^>]*>', cleared)
    assert to_group is not None, cleared
    assert "nhsuk-form-group--error" not in to_group.group(0)
    assert "nhsuk-error-message" not in cleared
    assert 'value="2"' in cleared  # the boxes as sent

    quiet = client.get(url, backwards, headers=htmx).content.decode()
    assert "hx-swap-oob" not in quiet  # nothing to show or clear: the results alone
