"""docs/partnership/journey.md lists exactly the moves of the transition table."""

from __future__ import annotations

import re
from pathlib import Path

from partnership.cases import TRANSITIONS
from partnership.models import CaseState, StepKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "partnership" / "journey.md"


def test_the_journey_doc_lists_every_move_of_the_table_and_no_other():
    documented = set(re.findall(r"^\| .+ \(`(\w+)`\) \| (.+?) \| (.+?) \|$", DOC.read_text(), flags=re.M))
    table = {
        (str(kind), CaseState(before).label, CaseState(after).label)
        for kind, moves in TRANSITIONS.items()
        for before, after in moves.items()
    }
    assert documented == table
    assert {kind for kind, _, _ in documented} == set(StepKind.values)
