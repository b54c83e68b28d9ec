"""A removed slot put back, and a slot put in over its time for the same clinician, at the same
moment: real threads, each with its own database connection and real transactions. Exactly one
gets the time; the other is told what clashes; never both, and never a deadlock (which would be
answered "the diary is busy")."""

from __future__ import annotations

from datetime import time
from functools import partial

import pytest

from capa import invariants
from diary import slots
from diary.slots import SlotTimes, at
from tests.concurrency.test_follow_up_races import Pair, working_days
from tests.factories import VenueFactory
from tests.factories.diary import clinician_in

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 30


@pytest.fixture
def threads():
    made = Pair()
    yield made
    made.close()


def test_a_slot_put_back_and_one_put_in_over_its_time_never_both_go_in(team, team_lead, threads):
    clinician, venue = clinician_in(team), VenueFactory(team=team)
    for round_, day in enumerate(working_days(ROUNDS)):
        (removed,) = slots.put_in_slots(
            team=team,
            clinicians=[clinician],
            venue=venue,
            times=[SlotTimes(at(day, time(10)), at(day, time(11)))],
            by=team_lead,
        )
        slots.remove_slot(slot=removed, by=team_lead)
        back = partial(slots.put_back, slot=removed, by=team_lead)
        over = partial(
            slots.put_in_slots,
            team=team,
            clinicians=[clinician],
            venue=venue,
            times=[SlotTimes(at(day, time(10, 30)), at(day, time(11, 30)))],
            by=team_lead,
        )

        results = threads.race([back, over] if round_ % 2 else [over, back])

        refused = [result for result in results if isinstance(result, Exception)]
        assert len(refused) == 1, results
        assert isinstance(refused[0], slots.SlotError), results
        assert "clash with something already in the diary" in refused[0].message, results
    broken = invariants.check(only=["no double booking", "slots hold their time"])
    assert [(invariant.name, invariant.breaches) for invariant in broken if not invariant.holds] == []
