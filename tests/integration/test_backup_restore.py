"""`make backup` and `make restore` (scripts/backup, scripts/restore) really round-trip the database.

The scripts run as subprocesses against the test database itself (committed rows: a transactional
test), the way an operator runs them against the live one. What is compared is every table of the
public schema (row count and a digest of every row), every sequence, constraint and trigger, so the
audit trail (pghistory's event tables and their triggers) and the diary's exclusion constraints are
checked along with the data.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import pghistory.models
import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Venue
from diary import booking
from diary.models import Appointment, AppointmentStatus, OutboxEmail, Slot, SlotStatus
from partnership.models import Case, CaseStep
from tests.factories import (
    CaseFactory,
    JobPlanFactory,
    MembershipFactory,
    OutcomeScoreFactory,
    SlotFactory,
    TeamFactory,
    VenueFactory,
)
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def database_url(name: str | None = None) -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{name or db['NAME']}"


def run(script: str, *args: str, url: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "CONFIRM"}
    environment.update(DATABASE_URL=url or database_url(), **env)
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def comparable(definition: str) -> str:
    """A constraint's definition without casts and brackets: PostgreSQL prints `x IN (...)` read
    back from a dump as `ARRAY[('a'::character varying)::text, ...]` where the migration's reads
    `(ARRAY['a'::character varying, ...])::text[]`, the same check in other words."""
    return re.sub(r"::[a-z ]+(\[\])?|[()\s]", "", definition)


def snapshot(url: str) -> dict[str, object]:
    """Everything a restore must bring back, read over a connection of its own."""
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        tables = [name for (name,) in cursor.fetchall()]
        rows = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608, E501  (names from pg_tables)
            )
            rows[table] = cursor.fetchone()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
        )
        sequences = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
        constraints = [(table, name, comparable(definition)) for table, name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE NOT tgisinternal ORDER BY 1, 2"
        )
        triggers = cursor.fetchall()
        cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
        extensions = cursor.fetchall()
    conn.close()
    return {
        "rows": rows,
        "sequences": sequences,
        "constraints": constraints,
        "triggers": triggers,
        "extensions": extensions,
    }


def differences(before: dict, after: dict) -> list[str]:
    found = [
        f"table {table}: {before['rows'].get(table)} != {after['rows'].get(table)}"
        for table in sorted(before["rows"].keys() | after["rows"].keys())
        if before["rows"].get(table) != after["rows"].get(table)
    ]
    for key in ("sequences", "constraints", "triggers", "extensions"):
        found += [f"{key}: only before: {item}" for item in before[key] if item not in after[key]]
        found += [f"{key}: only after: {item}" for item in after[key] if item not in before[key]]
    return found


def assert_same(before: dict, after: dict) -> None:
    found = differences(before, after)
    assert not found, "the database is not as it was:\n" + "\n".join(found)


@pytest.fixture
def diary_in_use():
    """A team's diary with families booked through the real booking code (so the audit trail has
    inserts and updates with context), a removed slot, a job plan and an outcome score."""
    team = TeamFactory(name="Riverside CAMHS")
    chooser = MembershipFactory(team=team).user
    clinician = clinician_in(team)
    venue = VenueFactory(team=team, name="Riverside Clinic")
    slots = [SlotFactory(team=team, venue=venue, clinicians=[clinician]) for _ in range(4)]
    cases = [CaseFactory(team=team, child_first_name=name) for name in ("Amara", "Ben", "Cara")]
    appointments = [
        booking.book_first_core(slot_ids=[slot.pk], case=case, by=chooser)
        for slot, case in zip(slots, cases, strict=False)
    ]
    booking.record_outcome(
        appointment=appointments[2],
        outcome=AppointmentStatus.CANCELLED_BY_FAMILY,
        reason="Moved away",
        by=chooser,
    )
    Slot.objects.filter(pk=slots[3].pk).update(status=SlotStatus.REMOVED)
    JobPlanFactory(team=team, clinician=clinician, agreed=True)
    OutcomeScoreFactory(case=cases[0])
    return {"team": team, "venue": venue, "cases": cases, "appointments": appointments, "slots": slots}


def test_a_backup_restored_over_a_changed_database_brings_every_row_back(tmp_path, diary_in_use):
    url = database_url()
    before = snapshot(url)
    assert before["rows"]["diary_appointment"][0] == 3
    assert before["rows"]["diary_appointmentevent"][0] >= 4  # three bookings and a cancellation
    amara = diary_in_use["appointments"][0]
    amara_events = list(
        pghistory.models.Events.objects.tracks(amara)
        .order_by("pgh_created_at")
        .values_list("pgh_label", "pgh_data")
    )

    result = ok(run("backup", f"{tmp_path}/dumps/"))
    dumps = list((tmp_path / "dumps").iterdir())
    assert len(dumps) == 1
    assert re.fullmatch(r"capa-\d{8}T\d{6}Z\.dump", dumps[0].name)
    assert dumps[0].stat().st_mode & 0o077 == 0  # patient data: readable by its owner only
    assert str(dumps[0]) in result.stdout

    # After the backup: a family's booking is cancelled, a venue renamed, a case deleted with its
    # history, audit rows removed outright and a new team made.
    booking.record_outcome(
        appointment=amara,
        outcome=AppointmentStatus.CANCELLED_BY_SERVICE,
        reason="Clinician ill",
        by=amara.booked_by,
    )
    Venue.objects.filter(pk=diary_in_use["venue"].pk).update(name="Somewhere else")
    ben = diary_in_use["cases"][1]
    Appointment.objects.filter(case=ben).delete()
    CaseStep.objects.filter(case=ben).delete()
    Case.objects.filter(pk=ben.pk).delete()
    OutboxEmail.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM diary_appointmentevent WHERE pgh_label = 'insert'")
    TeamFactory(name="Coastal CAMHS")
    assert len(differences(before, snapshot(url))) >= 8

    connection.close()  # the restore drops and recreates the tables under this connection
    result = ok(run("restore", str(dumps[0]), CONFIRM="yes"))
    assert "restored" in result.stdout

    assert_same(before, snapshot(url))
    amara_now = Appointment.objects.get(pk=amara.pk)
    assert (amara_now.status, amara_now.cancel_reason) == (AppointmentStatus.BOOKED, "")
    assert Case.objects.get(pk=ben.pk).child_first_name == "Ben"
    assert Venue.objects.get(pk=diary_in_use["venue"].pk).name == "Riverside Clinic"
    assert (
        list(
            pghistory.models.Events.objects.tracks(amara)
            .order_by("pgh_created_at")
            .values_list("pgh_label", "pgh_data")
        )
        == amara_events
    )
    # The audit triggers came back with the tables: a change after the restore is recorded.
    Venue.objects.filter(pk=diary_in_use["venue"].pk).update(name="Riverside Clinic (new building)")
    assert pghistory.models.Events.objects.filter(
        pgh_obj_model="accounts.Venue", pgh_obj_id=str(diary_in_use["venue"].pk), pgh_label="update"
    ).exists()


def test_a_restore_empties_the_dashboard_summaries_to_be_worked_out_again(tmp_path, diary_in_use):
    """Derived rows that name transactions of the server they were worked out on (ADR 0010)."""
    from dashboard import summary
    from dashboard.models import Summary
    from planning.quarters import Quarter

    team = diary_in_use["venue"].team
    quarter = Quarter.containing(
        timezone.localdate(), start_month=team.organisation.financial_year_start_month
    )
    shown = summary.activities([team], [quarter])
    assert Summary.objects.count() == 1
    ok(run("backup", f"{tmp_path}/capa.dump"))
    connection.close()
    ok(run("restore", f"{tmp_path}/capa.dump", CONFIRM="yes"))
    assert Summary.objects.count() == 0
    assert summary.activities([team], [quarter]) == shown


@pytest.fixture
def scratch_database():
    """An empty database on the test server, dropped afterwards: a new server after a disaster."""
    name = f"{connection.settings_dict['NAME']}_restore_{secrets.token_hex(4)}"
    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_backup_restores_into_an_empty_database_and_again_over_itself(
    tmp_path, diary_in_use, scratch_database
):
    before = snapshot(database_url())
    dump = tmp_path / "capa.dump"
    ok(run("backup", str(dump)))
    assert dump.is_file()

    ok(run("restore", "--yes", str(dump), url=scratch_database))
    assert_same(before, snapshot(scratch_database))

    with psycopg2.connect(scratch_database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT child_first_name FROM partnership_case ORDER BY child_first_name")
        assert cursor.fetchall() == [("Amara",), ("Ben",), ("Cara",)]
        cursor.execute("UPDATE partnership_case SET child_first_name = 'Changed'")
        cursor.execute("DELETE FROM partnership_caseevent")
    conn.close()
    assert differences(before, snapshot(scratch_database)) != []

    ok(run("restore", str(dump), url=scratch_database, CONFIRM="yes"))
    assert_same(before, snapshot(scratch_database))


def test_restore_refuses_without_a_file_or_a_confirmation_and_changes_nothing(tmp_path, diary_in_use):
    url = database_url()
    dump = tmp_path / "capa.dump"
    ok(run("backup", str(dump)))
    Venue.objects.filter(pk=diary_in_use["venue"].pk).update(name="Changed after the backup")
    changed = snapshot(url)

    no_file = run("restore", CONFIRM="yes")
    assert no_file.returncode != 0
    assert "which dump?" in no_file.stderr

    missing = run("restore", str(tmp_path / "nothing.dump"), CONFIRM="yes")
    assert missing.returncode != 0
    assert "no such readable file" in missing.stderr

    unconfirmed = run("restore", str(dump))
    assert unconfirmed.returncode != 0
    assert "CONFIRM=yes" in unconfirmed.stderr
    assert "would overwrite" in unconfirmed.stderr

    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("not a dump\n")
    refused = run("restore", "--yes", str(not_a_dump))
    assert refused.returncode != 0
    assert "is not a dump" in refused.stderr

    assert_same(changed, snapshot(url))
    assert Venue.objects.get(pk=diary_in_use["venue"].pk).name == "Changed after the backup"


def test_a_restore_that_fails_part_way_leaves_the_database_as_it_was(tmp_path, diary_in_use):
    url = database_url()
    dump = tmp_path / "capa.dump"
    ok(run("backup", str(dump)))
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(dump.read_bytes()[:-64])  # the table of contents is whole, the data not
    OutboxEmail.objects.all().delete()
    changed = snapshot(url)

    connection.close()
    result = run("restore", "--yes", str(truncated))
    assert result.returncode != 0
    assert "rolled back" in result.stderr
    assert_same(changed, snapshot(url))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_backup_refuses_politely_when_the_database_is_unreachable_and_writes_nothing(tmp_path):
    unreachable = f"postgresql://capa@127.0.0.1:{free_port()}/capa"
    result = run("backup", f"{tmp_path}/dumps/", url=unreachable)
    assert result.returncode != 0
    assert "cannot reach the database" in result.stderr
    assert "nothing was backed up" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dumps").exists()


def test_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "capa.dump"
    existing.write_text("an older backup\n")
    result = run("backup", str(existing))
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert existing.read_text() == "an older backup\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["capa.dump"]
