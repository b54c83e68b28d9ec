"""`manage.py capacity` prints the capacity page's figures for a team and quarter, exactly."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from planning.quarters import Quarter
from tests.factories import ReferralRateFactory
from tests.factories.plans import agreed_plan_for, clinician_in

pytestmark = pytest.mark.django_db

Q1 = Quarter.parse("2027-Q1")


def capacity(*args: str) -> str:
    out = io.StringIO()
    call_command("capacity", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_clinicians(team):
    """Ann: 10.5 Core hours (3 sessions x 3 = 9 a quarter); Ben: 7 (2 sessions x 3 = 6) and 3.5 of
    Choice (2 appointments a week). 2 accepted referrals a week."""
    ann = clinician_in(team, username="ann", first_name="Ann", last_name="Archer")
    ben = clinician_in(team, username="ben", first_name="Ben", last_name="Baker")
    agreed_plan_for(ann, team, effective_from=Q1.start, hours={"core": "10.5", "other": "27"})
    agreed_plan_for(ben, team, effective_from=Q1.start, hours={"choice": "3.5", "core": "7", "other": "27"})
    ReferralRateFactory(team=team, quarter_start=Q1.start, referrals_per_week=Decimal("2"))
    return team


def test_the_json_gives_each_target_and_the_teams_balance_as_exact_fractions(two_clinicians):
    figures = json.loads(capacity("--team", "riverside-camhs", "--quarter", "2027-Q1", "--json"))

    assert figures["team"]["slug"] == "riverside-camhs"
    assert figures["quarter"] == {
        "label": "2027-Q1",
        "name": "Q1 2027/28 (Apr to Jun 2027)",
        "start": "2027-04-01",
        "end": "2027-06-30",
    }
    by_name = {row["name"]: row for row in figures["clinicians"]}
    assert by_name["Ann Archer"]["core_target"] == {"exact": "9", "decimal": 9.0}
    assert by_name["Ben Baker"]["core_target"] == {"exact": "6", "decimal": 6.0}
    assert by_name["Ben Baker"]["choice_appointments_per_week"] == {"exact": "2", "decimal": 2.0}
    assert by_name["Ann Archer"]["core_target_whole"] == 9
    team = figures["team_figures"]
    assert team["core_targets_total"] == {"exact": "15", "decimal": 15.0}
    assert team["core_targets_whole_total"] == 15
    assert team["referrals_per_week"] == {"exact": "2", "decimal": 2.0}
    assert team["referrals_source"] == "entered for this quarter"
    # 2 referrals a week x 13 weeks x 0.66 = 17.16 = 429/25 needed; 15 / 2 = 7.5, below 8.
    assert team["core_needed"] == {"exact": "429/25", "decimal": 17.2}
    assert team["balance_ratio"] == {"exact": "15/2", "decimal": 7.5}
    assert (team["balance"], team["balance_words"]) == ("internal_wait", "An internal wait will build")
    assert "2.2 short a quarter" in team["balance_reason"]
    # Choice and Core are 3.5 + 10.5 + 7 = 21 of the 75 hours planned: 28%, below 30%.
    assert team["choice_core_share"] == {"exact": "7/25", "percent": 28.0}
    assert team["choice_core_share_is_usual"] is False


def test_eleven_core_hours_give_sixty_six_sevenths_not_a_rounded_shortcut(team):
    cara = clinician_in(team, username="cara", first_name="Cara", last_name="Cole")
    agreed_plan_for(cara, team, effective_from=Q1.start, hours={"core": "11", "other": "26.5"})

    figures = json.loads(capacity("--team", str(team.pk), "--quarter", "2027-Q1", "--json"))

    (row,) = figures["clinicians"]
    assert row["core_target"] == {"exact": "66/7", "decimal": 9.4}
    assert row["core_target_whole"] == 9
    assert figures["team_figures"]["referrals_per_week"] is None
    assert figures["team_figures"]["balance"] == "no_referrals"


def test_the_table_shows_each_clinician_and_the_team_in_words(two_clinicians):
    table = capacity("--team", "Riverside CAMHS", "--quarter", "2027-Q1")

    assert table.startswith("Riverside CAMHS: Q1 2027/28 (Apr to Jun 2027) (2027-Q1)\n")
    lines = table.splitlines()
    assert next(line for line in lines if line.startswith("Ann Archer")).split() == [
        "Ann",
        "Archer",
        "0",
        "9",
        "9",
    ]
    assert next(line for line in lines if line.startswith("Team")).split() == ["Team", "2", "15", "15"]
    assert "Accepted referrals a week: 2 (entered for this quarter)" in lines
    assert "Core Partnerships needed a quarter: 17.2" in lines
    assert "Balance ratio: 7.5 (in balance from 8 to 9)" in lines
    assert "Balance: An internal wait will build" in lines


def test_an_unknown_team_is_an_error_that_lists_the_teams(team, other_team):
    with pytest.raises(CommandError) as raised:
        capacity("--team", "nowhere-camhs", "--quarter", "2027-Q1")

    assert "No team 'nowhere-camhs'" in str(raised.value)
    assert f"riverside-camhs (id {team.pk}" in str(raised.value)
    assert f"hillside-camhs (id {other_team.pk}" in str(raised.value)


def test_a_quarter_that_does_not_exist_is_an_error(team):
    with pytest.raises(CommandError, match="write it like 2027-Q1"):
        capacity("--team", "riverside-camhs", "--quarter", "2027-Q5")
