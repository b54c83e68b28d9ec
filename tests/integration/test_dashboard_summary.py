"""The dashboards' summary table (dashboard/summary.py, docs/adr/0010): a stored summary is used
only while it is still right. Every watched table's writes make it stale for their team only; a
transaction still writing when a summary was worked out makes it stale when it commits; a vacant
slot starting, or a new day, makes it stale; and what is shown always equals a fresh count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time, timedelta
from decimal import Decimal

import psycopg2
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import quarterly, summary
from dashboard.models import Change, Summary
from diary.models import SlotStatus
from diary.slots import at
from partnership.models import StepKind
from planning.models import Activity
from planning.quarters import Quarter
from tests.constraints import assert_refused, refuses
from tests.factories import (
    AbsenceFactory,
    CaseStepFactory,
    CaseWorkerFactory,
    PlanningSettingsFactory,
    QuarterTargetFactory,
    ReferralRateFactory,
    SlotFactory,
    SpecificStreamFactory,
    SummaryFactory,
)
from tests.factories.plans import agreed_plan_for
from tests.integration.test_dashboard_quarterly import family, on, quarter, scenario  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def stored(team, quarter_) -> Summary | None:
    return Summary.objects.filter(team_id=team.pk, quarter_start=quarter_.start).first()


def queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def shown(team, quarter_, **kwargs) -> quarterly.TeamActivity:
    return summary.activities([team], [quarter_], **kwargs)[team.pk, quarter_]


def fresh(team, quarter_, **kwargs) -> quarterly.TeamActivity:
    return quarterly.activities([team], [quarter_], **kwargs)[team.pk, quarter_]


@pytest.fixture
def planned(team, quarter, scenario):
    """Job plans, settings, a stream, an absence, a referral rate and a published target: every
    kind of figure has something to count, fractions and waits included."""
    stream = SpecificStreamFactory(team=team)
    agreed_plan_for(
        scenario["ana"],
        team,
        effective_from=quarter.start,
        hours={Activity.CHOICE: "3.5", Activity.CORE: "14", Activity.BIG_ADMIN: "20"},
        streams={stream: "0"},
    )
    agreed_plan_for(
        scenario["ben"],
        team,
        effective_from=quarter.start,
        hours={Activity.CORE: "10.5", Activity.BIG_ADMIN: "27"},
    )
    PlanningSettingsFactory(team=team)
    AbsenceFactory(
        team=team,
        clinician=scenario["ben"],
        starts_on=quarter.start,
        ends_on=quarter.start + timedelta(days=20),
    )
    ReferralRateFactory(team=team, quarter_start=quarter.start, referrals_per_week=Decimal("7.5"))
    case = family(team, quarter, referred=-40, accepted=-30, choice=10)
    CaseStepFactory(case=case, kind=StepKind.TO_CORE, happened_on=quarter.start + timedelta(days=10))
    CaseWorkerFactory(case=case, clinician=scenario["ana"], joined_on=quarter.start + timedelta(days=12))
    return {**scenario, "stream": stream, "case": case}


def test_a_summary_is_stored_then_used_and_equals_a_fresh_count(team, quarter, planned):
    first = shown(team, quarter)
    assert first == fresh(team, quarter)
    assert first.balance_ratio is not None  # a fraction, kept
    assert first.referral_to_choice.count  # waits, kept
    row = stored(team, quarter)
    assert row is not None
    used = queries(lambda: shown(team, quarter))
    assert used <= 3  # the check, and the clinicians' names: nothing counted again
    assert stored(team, quarter).computed_at == row.computed_at
    assert shown(team, quarter) == fresh(team, quarter)


def test_the_stored_form_keeps_every_field(team, quarter, planned):
    from fractions import Fraction

    ana = planned["ana"]
    activity = quarterly.TeamActivity(
        team=team,
        quarter=quarter,
        clinicians=[quarterly.ClinicianActivity(ana, None, quarterly.SlotCounts(1, 1, 0, 1, 0, 0, 0, 0), 2)],
        slots=quarterly.SlotCounts(1, 2, 3, 4, 5, 6, 7, 8),
        target=9,
        new_core_partnerships=10,
        choice_offered=11,
        choice_used=12,
        choice_missed=13,
        accepted_referrals=14,
        referral_to_choice=quarterly.Waits((3, 10, 40)),
        choice_to_first_core=quarterly.Waits(()),
        choice_outcomes=5,
        to_core=4,
        first_core_dna=1,
        first_core_seen=6,
        closed_core_cases=2,
        closed_core_appointments=11,
        balance_ratio=Fraction(7, 3),
        choice_core_share=None,
    )
    assert summary.load(summary.dump(activity), team=team, quarter=quarter, users={ana.pk: ana}) == activity


def test_a_field_with_no_stored_form_fails_loudly():
    with pytest.raises(TypeError, match="no stored form"):
        summary._tagged(1.5)


def _rows_of_every_watched_table(team, planned) -> dict[str, int]:
    from diary.models import AppointmentSlot, ClinicianTime, Slot
    from planning.models import JobPlan, JobPlanLine, PlanningSettings

    ana = planned["ana"]
    target = QuarterTargetFactory(team=team, clinician=ana, run__organisation=team.organisation)
    appointment = planned["attended"]
    plan = JobPlan.objects.filter(team=team, clinician=ana).first()
    return {
        "accounts_organisation": team.organisation_id,
        "accounts_team": team.pk,
        "accounts_user": ana.pk,
        "accounts_membership": ana.memberships.get(team=team).pk,
        "accounts_clinicianprofile": ana.clinician_profile.pk,
        "planning_planningsettings": PlanningSettings.objects.get(team=team).pk,
        "planning_specificstream": planned["stream"].pk,
        "planning_jobplan": plan.pk,
        "planning_jobplanline": JobPlanLine.objects.filter(plan__team=team).first().pk,
        "planning_absence": planned["ben"].absences.first().pk,
        "planning_referralrate": team.referral_rates.first().pk,
        "diary_slot": Slot.objects.filter(team=team).first().pk,
        "diary_appointment": appointment.pk,
        "diary_appointmentslot": AppointmentSlot.objects.filter(appointment=appointment).first().pk,
        "diary_cliniciantime": ClinicianTime.objects.filter(slot__team=team).first().pk,
        "diary_quartertarget": target.pk,
        "partnership_case": planned["case"].pk,
        "partnership_casestep": planned["case"].steps.first().pk,
        "partnership_caseworker": planned["case"].workers.first().pk,
    }


WATCHED = [
    "accounts_organisation",
    "accounts_team",
    "accounts_user",
    "accounts_membership",
    "accounts_clinicianprofile",
    "planning_planningsettings",
    "planning_specificstream",
    "planning_jobplan",
    "planning_jobplanline",
    "planning_absence",
    "planning_referralrate",
    "diary_slot",
    "diary_appointment",
    "diary_appointmentslot",
    "diary_cliniciantime",
    "diary_quartertarget",
    "partnership_case",
    "partnership_casestep",
    "partnership_caseworker",
]


# An update that changes nothing is still a write, except to a person: only what a page shows of
# them counts (log-ins do not).
WRITES = {"accounts_user": "first_name = first_name || ' Junior'"}


@pytest.mark.parametrize("table", WATCHED)
def test_a_write_to_any_watched_table_makes_its_team_stale_and_no_other(
    table, team, other_team, quarter, planned
):
    rows = _rows_of_every_watched_table(team, planned)
    both = [team, other_team]
    summary.activities(both, [quarter])
    before = {t.pk: stored(t, quarter).computed_at for t in both}
    with connection.cursor() as cursor:  # a write around every domain function: raw SQL
        cursor.execute(f"UPDATE {table} SET {WRITES.get(table, 'id = id')} WHERE id = %s", [rows[table]])  # noqa: S608 (a fixed list)
    later = timezone.now()
    summary.activities(both, [quarter], now=later)
    assert stored(team, quarter).computed_at == later  # worked out again
    if table != "accounts_organisation":  # an organisation's change is every one of its teams'
        assert stored(other_team, quarter).computed_at == before[other_team.pk]


def test_a_log_in_changes_nothing_counted(team, quarter, planned):
    summary.activities([team], [quarter])
    computed = stored(team, quarter).computed_at
    planned["ana"].last_login = timezone.now()
    planned["ana"].save(update_fields=["last_login"])
    summary.activities([team], [quarter])
    assert stored(team, quarter).computed_at == computed
    planned["ana"].last_name = "Renamed"
    planned["ana"].save(update_fields=["last_name"])
    assert [str(row.clinician) for row in shown(team, quarter).clinicians] == [
        str(row.clinician) for row in fresh(team, quarter).clinicians
    ]
    assert any("Renamed" in str(row.clinician) for row in shown(team, quarter).clinicians)


def test_inserts_and_deletes_are_changes_too(team, quarter, planned):
    summary.activities([team], [quarter])
    slot = SlotFactory(team=team, clinicians=[planned["ana"]], starts_at=on(quarter, 60))
    assert shown(team, quarter) == fresh(team, quarter)
    assert shown(team, quarter).slots.offered == 7
    planned["ben"].absences.all().delete()
    assert shown(team, quarter) == fresh(team, quarter)
    slot.times.all().delete()
    slot.delete()
    assert shown(team, quarter).slots.offered == 6


def test_a_bulk_update_of_many_rows_is_one_change_per_team(team, quarter, planned):
    from diary.models import Slot

    summary.activities([team], [quarter])
    before = Change.objects.count()
    Slot.objects.filter(team=team).update(status=SlotStatus.LOST)
    assert Change.objects.count() - before == 1
    assert shown(team, quarter) == fresh(team, quarter)


def test_a_vacant_slot_starting_makes_left_unbooked_stale(team, planned):
    today = timezone.localdate()
    this_quarter = Quarter.containing(today, start_month=team.organisation.financial_year_start_month)
    SlotFactory(team=team, clinicians=[planned["ana"]], starts_at=at(today, time(10, 30)))
    before, after = at(today, time(10)), at(today, time(10, 31))
    assert (
        shown(team, this_quarter, now=before).slots.left_unbooked
        == fresh(team, this_quarter, now=before).slots.left_unbooked
    )
    assert stored(team, this_quarter).valid_until == at(today, time(10, 30))
    assert shown(team, this_quarter, now=after) == fresh(team, this_quarter, now=after)
    assert stored(team, this_quarter).computed_at == after


def test_a_summary_from_an_earlier_day_is_worked_out_again(team, quarter, planned):
    today = timezone.localdate()
    morning = at(today, time(9))
    shown(team, quarter, now=morning)
    tomorrow = at(today + timedelta(days=1), time(9))
    shown(team, quarter, now=tomorrow)
    assert stored(team, quarter).computed_at == tomorrow
    earlier = at(today, time(8))  # a summary is never used for a moment before its own
    shown(team, quarter, now=earlier)
    assert stored(team, quarter).computed_at == earlier


def test_the_same_queries_for_1_or_8_quarters_and_3_or_30_clinicians(team, quarter, planned):
    eight = quarterly.last_quarters(quarter, 8)
    summary.activities([team], [quarter])
    summary.activities([team], eight)
    one_query_count = queries(lambda: summary.activities([team], [quarter]))
    eight_query_count = queries(lambda: summary.activities([team], eight))
    from tests.factories.diary import clinician_in

    for _ in range(27):
        clinician_in(team)
    summary.activities([team], [quarter])
    thirty = queries(lambda: summary.activities([team], [quarter]))
    assert one_query_count == eight_query_count == thirty


def test_every_table_the_figures_read_is_watched(team, quarter, planned):
    with CaptureQueriesContext(connection) as captured:
        quarterly.activities([team], quarterly.last_quarters(quarter, 8))
    read = {
        table
        for query in captured.captured_queries
        for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"])
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger"
            " WHERE tgname = 'dashboard_changed_update'"
        )
        watched = {row[0] for row in cursor.fetchall()}
    assert read  # the capture works
    assert read - watched == set()
    assert set(WATCHED) == watched


def test_refresh_works_out_stale_summaries_and_this_quarter(team, other_team, quarter, planned):
    summary.activities([team], [quarter])
    SlotFactory(team=team, clinicians=[planned["ana"]], starts_at=on(quarter, 61))
    looked_at = summary.refresh()
    this_quarter = Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    )
    assert looked_at >= 3
    for each in (team, other_team):
        assert stored(each, this_quarter) is not None
    assert summary.load(
        stored(team, quarter).figures,
        team=team,
        quarter=quarter,
        users={u.pk: u for u in (planned["ana"], planned["ben"])},
    ) == fresh(team, quarter)


def test_prune_deletes_only_what_can_no_longer_decide_anything(team, quarter, planned):
    summary.activities([team], [quarter])
    Change.objects.create(team_id=team.pk)
    old = Change.objects.create(team_id=team.pk)
    Change.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=3))
    Summary.objects.update(computed_at=timezone.now() - timedelta(days=3))
    changes, summaries = summary.prune()
    assert (changes, summaries) == (1, 1)
    assert Change.objects.filter(pk=old.pk).count() == 0
    assert Change.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_in_flight_when_a_summary_was_worked_out_makes_it_stale_when_it_commits(
    team,
    quarter,
    scenario,
):
    """The change it wrote is older than the last change the summary saw, so only the list of
    transactions in flight can tell: without it this summary would be used, and wrong."""
    writer = psycopg2.connect(**connection.get_connection_params())
    try:
        with writer.cursor() as cursor:  # in flight: not committed yet
            cursor.execute(
                "UPDATE diary_slot SET status = 'lost' WHERE team_id = %s AND status = 'vacant'", [team.pk]
            )
        with connection.cursor() as cursor:  # a later change, committed at once
            cursor.execute("UPDATE accounts_team SET name = name WHERE id = %s", [team.pk])
        before_commit = shown(team, quarter)
        assert before_commit.slots.lost == 1
        assert shown(team, quarter) == before_commit  # still in flight: still right
        writer.commit()
    finally:
        writer.close()
    after = shown(team, quarter)
    assert after == fresh(team, quarter)
    assert after.slots.lost == 3


@contextmanager
def writer_newer_than_the_newest_to_end(team) -> Iterator[psycopg2.extensions.connection]:
    """A transaction that marks the team's vacant slots lost and stays in flight, commit it to end
    it. It took its id after another transaction that then wrote a later change and ended: the
    newest to end, where a snapshot's list of transactions in flight stops, so the list leaves
    the writer out. (Unless a transaction with a newer id ends elsewhere on the server before the
    summary starts: the snapshot then lists the writer too. The sessions' list is also tested on
    its own, below.)"""
    params = connection.get_connection_params()
    earlier, writer = psycopg2.connect(**params), psycopg2.connect(**params)
    try:
        with earlier.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # takes its id first
        with writer.cursor() as cursor:  # a newer id, and the older change
            cursor.execute(
                "UPDATE diary_slot SET status = 'lost' WHERE team_id = %s AND status = 'vacant'", [team.pk]
            )
        with earlier.cursor() as cursor:  # the newer change, then the end: the newest to end
            cursor.execute("UPDATE accounts_team SET name = name WHERE id = %s", [team.pk])
        earlier.commit()
        yield writer
    finally:
        earlier.close()
        writer.close()


@pytest.mark.django_db(transaction=True)
def test_a_writer_newer_than_the_last_transaction_to_end_makes_the_summary_stale_when_it_commits(
    team,
    quarter,
    scenario,
):
    """The summary asks for the database's sessions too: without them it would be used, and
    wrong, once the writer commits."""
    with writer_newer_than_the_newest_to_end(team) as writer:
        before_commit = shown(team, quarter)
        assert before_commit.slots.lost == 1
        assert shown(team, quarter) == before_commit  # still in flight: still right
        writer.commit()
    after = shown(team, quarter)
    assert after == fresh(team, quarter)
    assert after.slots.lost == 3


@pytest.mark.django_db(transaction=True)
def test_a_second_summary_worked_out_in_one_transaction_sees_the_sessions_as_they_are_then(
    team, other_team, quarter, scenario
):
    """PostgreSQL keeps what pg_stat_activity said for the rest of a transaction unless told to
    forget it: the writer here started after the first summary of the transaction was worked out."""
    with transaction.atomic():
        shown(other_team, quarter)  # the transaction's first look at the sessions
        with writer_newer_than_the_newest_to_end(team) as writer:
            assert shown(team, quarter).slots.lost == 1
            writer.commit()
        assert shown(team, quarter) == fresh(team, quarter)


def test_a_session_of_this_database_holding_an_id_is_in_flight_by_its_64_bit_id(team):
    """Whether or not the snapshot lists it (that depends on what else ended meanwhile on the
    server), the sessions' list does."""
    writer = psycopg2.connect(**connection.get_connection_params())
    try:
        with writer.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            (its_id,) = cursor.fetchone()
        with connection.cursor() as cursor:
            cursor.execute(summary.START)
            _changes_upto, in_flight = cursor.fetchone()
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                summary.sessions_in_flight("pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            )
            sessions = [xid for (xid,) in cursor.fetchall()]
    finally:
        writer.close()
    assert its_id in in_flight
    assert its_id in sessions


@settings(max_examples=200, deadline=None)
@given(
    epoch=st.integers(min_value=0, max_value=2**20),
    low=st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 3, 2**31, 2**32 - 2, 2**32 - 1])),
    ahead=st.integers(min_value=-(2**30), max_value=2**30),
)
def test_a_32_bit_id_becomes_the_64_bit_id_nearest_the_snapshot(epoch, low, ahead):
    """Whatever the epoch, and on either side of an epoch's end, of the xmax or of the id."""
    full = epoch * 2**32 + low
    xmax = max(full + ahead, 3)  # 0 to 2 are never transactions' ids; still within 2^30 of `full`
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + summary.NEAREST_FULL_XID.format(xid="%(xid)s::bigint", xmax="%(xmax)s::bigint"),
            {"xid": full % 2**32, "xmax": xmax},
        )
        (nearest,) = cursor.fetchone()
    assert nearest == full


def test_a_transaction_in_another_database_leaves_a_summary_right(team, quarter, planned):
    """Another database on the same server cannot write these tables: its transactions in flight
    when a summary is worked out do not make the summary stale when they end."""
    other_database = {**connection.get_connection_params(), "dbname": "postgres"}
    elsewhere = psycopg2.connect(**other_database)
    try:
        with elsewhere.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # a transaction with an id, in flight
        # A later transaction ends first, so the snapshot lists the one in flight by its id.
        later = psycopg2.connect(**other_database)
        with later, later.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")
        later.close()
        summary.activities([team], [quarter])
        worked_out = stored(team, quarter)
        elsewhere.commit()
    finally:
        elsewhere.close()
    summary.activities([team], [quarter])
    assert stored(team, quarter).computed_at == worked_out.computed_at  # used, not worked out again


@refuses("dashboard_one_summary_a_quarter")
def test_one_summary_per_team_and_quarter_whatever_writes_it(team, quarter):
    SummaryFactory(team_id=team.pk, quarter_start=quarter.start, start_month=quarter.start_month)
    assert_refused(
        "dashboard_one_summary_a_quarter",
        lambda: SummaryFactory(team_id=team.pk, quarter_start=quarter.start, start_month=quarter.start_month),
    )
