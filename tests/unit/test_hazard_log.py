"""The hazard log (docs/clinical-safety/hazard-log.toml) stays true to the code: every hazard has
controls and tests, every test and piece of code it names exists, every risk is the matrix's, and
the rendered hazard-log.md is up to date."""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAFETY = ROOT / "docs" / "clinical-safety"
RENDER = "docs/clinical-safety/render.py"


def _renderer():
    spec = importlib.util.spec_from_file_location("hazard_log_render", SAFETY / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _renderer()
LOG = render.load()
HAZARDS = LOG["hazard"]
# The hazards the log must always have (the issue that asked for it), by words of their titles.
BRIEF = [
    "double booking",
    "booking silently lost",
    "wrong clinician",
    "wrong date or time",
    "miscalculated target",
    "family lost between stages",
    "wrong team",
    "misreported dashboard",
]
REQUIRED = [
    "id",
    "title",
    "description",
    "causes",
    "effect",
    "harm",
    "initial",
    "controls",
    "residual",
    "tests",
]


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _test_names(path: Path) -> set[str]:
    """Test functions at module level, and `Class::method` for test methods of classes."""
    names = set()
    for node in _tree(path).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return names


def missing_test(node_id: str) -> str | None:
    """Why the pytest node id does not exist, or None if it does. `[...]` parameters are dropped."""
    path, _, name = node_id.partition("::")
    if not name:
        return f"{node_id}: not a node id (tests/path/test_file.py::test_name)"
    file = ROOT / path
    if not path.startswith("tests/") or not file.is_file():
        return f"{node_id}: no file {path}"
    name = re.sub(r"\[.*\]$", "", name)
    if name not in _test_names(file):
        return f"{node_id}: no test {name} in {path}"
    return None


def _defined_names(path: Path) -> set[str]:
    """Functions, classes and assigned names anywhere in the module, and its string constants
    (constraint names are strings in a model's Meta)."""
    names = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return names


def missing_code(reference: str) -> str | None:
    path, _, name = reference.partition("::")
    file = ROOT / path
    if not file.exists():
        return f"{reference}: no file {path}"
    if name and name not in _defined_names(file):
        return f"{reference}: {name} is not defined in {path}"
    return None


def test_the_log_has_the_hazards_the_brief_asks_for_with_unique_ids_in_order():
    ids = [hazard["id"] for hazard in HAZARDS]
    assert len(ids) >= 8
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"hazard ids used more than once: {duplicates}"
    assert ids == [f"H{n:02d}" for n in range(1, len(ids) + 1)], f"ids must run H01, H02, ...: {ids}"
    titles = " / ".join(hazard["title"].lower() for hazard in HAZARDS)
    for must in BRIEF:
        assert must in titles, f"no hazard about {must!r}"


@pytest.mark.parametrize("hazard", HAZARDS, ids=[h["id"] for h in HAZARDS])
def test_every_hazard_is_complete_with_a_control_and_a_test(hazard):
    absent = [field for field in REQUIRED if not hazard.get(field)]
    assert not absent, f"{hazard.get('id')}: missing or empty {absent}"
    for control in hazard["controls"]:
        assert control.get("text"), f"{hazard['id']}: a control without text"
        assert control.get("kind") in {"design", "test", "procedure"}, (
            f"{hazard['id']}: kind {control.get('kind')!r}"
        )
    assert any(control.get("code") for control in hazard["controls"]), (
        f"{hazard['id']}: no control names code"
    )
    assert len(set(hazard["tests"])) == len(hazard["tests"]), f"{hazard['id']}: a test listed twice"


@pytest.mark.parametrize("hazard", HAZARDS, ids=[h["id"] for h in HAZARDS])
def test_every_risk_is_read_from_the_dcb0129_matrix(hazard):
    for stage in ("initial", "residual"):
        rating = hazard[stage]
        assert rating["severity"] in render.SEVERITIES, (
            f"{hazard['id']} {stage}: severity {rating['severity']!r}"
        )
        assert rating["likelihood"] in render.LIKELIHOODS, (
            f"{hazard['id']} {stage}: likelihood {rating['likelihood']!r}"
        )
        expected = render.RISK[rating["likelihood"]][rating["severity"]]
        assert rating["risk"] == expected, (
            f"{hazard['id']} {stage}: risk {rating['risk']}, the matrix says {expected}"
        )
    assert hazard["residual"]["risk"] <= hazard["initial"]["risk"], (
        f"{hazard['id']}: controls raised the risk"
    )
    assert hazard["residual"]["risk"] <= 3, f"{hazard['id']}: a residual risk of 4 or 5 is not acceptable"


def test_every_test_the_log_names_exists():
    missing = [
        f"{hazard['id']}: {why}"
        for hazard in HAZARDS
        for node_id in hazard["tests"]
        if (why := missing_test(node_id))
    ]
    assert not missing, "the hazard log names tests that do not exist:\n  " + "\n  ".join(missing)


def test_every_piece_of_code_the_log_names_exists():
    missing = [
        f"{hazard['id']}: {why}"
        for hazard in HAZARDS
        for control in hazard["controls"]
        for reference in control.get("code", [])
        if (why := missing_code(reference))
    ]
    assert not missing, "the hazard log names code that does not exist:\n  " + "\n  ".join(missing)


def test_the_checks_themselves_tell_a_missing_test_from_a_real_one():
    here = "tests/unit/test_hazard_log.py"
    assert missing_test(f"{here}::test_every_test_the_log_names_exists") is None
    assert missing_test(f"{here}::test_every_hazard_is_complete_with_a_control_and_a_test[H01]") is None
    assert "no test" in missing_test(f"{here}::test_that_was_never_written")
    assert "no file" in missing_test("tests/unit/test_nowhere.py::test_anything")
    assert "not a node id" in missing_test(here)
    assert missing_code("diary/models.py::diary_clinician_not_double_booked") is None
    assert "not defined" in missing_code("diary/booking.py::book_everything_twice")


def test_the_rendered_hazard_log_is_up_to_date():
    rendered = SAFETY / "hazard-log.md"
    assert rendered.is_file(), f"{rendered} is missing: run .venv/bin/python {RENDER}"
    assert rendered.read_text(encoding="utf-8") == render.render(LOG), (
        f"hazard-log.md is not what hazard-log.toml renders to: run .venv/bin/python {RENDER}"
    )
