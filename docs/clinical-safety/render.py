"""Render the hazard log (hazard-log.toml, the source) as hazard-log.md, for people to read.

    .venv/bin/python docs/clinical-safety/render.py          write hazard-log.md
    .venv/bin/python docs/clinical-safety/render.py --check  exit 1 if hazard-log.md is out of date

Standard library only. tests/unit/test_hazard_log.py imports this module to check the log.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "hazard-log.toml"
RENDERED = HERE / "hazard-log.md"

SEVERITIES = ["Minor", "Significant", "Considerable", "Major", "Catastrophic"]
LIKELIHOODS = ["Very low", "Low", "Medium", "High", "Very high"]
# DCB0129's 5x5 matrix: RISK[likelihood][severity], 1 (very low) to 5 (very high).
RISK = {
    "Very high": {"Minor": 3, "Significant": 4, "Considerable": 4, "Major": 5, "Catastrophic": 5},
    "High": {"Minor": 2, "Significant": 3, "Considerable": 3, "Major": 4, "Catastrophic": 5},
    "Medium": {"Minor": 2, "Significant": 2, "Considerable": 3, "Major": 3, "Catastrophic": 4},
    "Low": {"Minor": 1, "Significant": 2, "Considerable": 2, "Major": 3, "Catastrophic": 4},
    "Very low": {"Minor": 1, "Significant": 1, "Considerable": 2, "Major": 2, "Catastrophic": 3},
}
RISK_WORDS = {
    1: "1 Very low: acceptable, no further action",
    2: "2 Low: acceptable where further reduction is impractical",
    3: "3 Medium: tolerable only with controls in place, reduced as far as reasonably practicable",
    4: "4 High: not acceptable; further controls required",
    5: "5 Very high: unacceptable",
}


def load(path: Path = SOURCE) -> dict:
    with path.open("rb") as source:
        return tomllib.load(source)


def _rating(rating: dict) -> str:
    return f"{rating['risk']} ({rating['severity']} severity, {rating['likelihood'].lower()} likelihood)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(log: dict) -> str:
    meta, hazards = log["log"], log["hazard"]
    lines = [
        "# Hazard log",
        "",
        "<!-- Generated from hazard-log.toml by render.py: edit the TOML, then run",
        "     .venv/bin/python docs/clinical-safety/render.py -->",
        "",
        f"- **System:** {meta['system']}",
        f"- **Standard:** {meta['standard']}",
        f"- **Clinical Safety Officer:** {meta['clinical_safety_officer']}",
        f"- **Status:** {meta['status']}",
        "",
        "## Summary",
        "",
        "| Id | Hazard | Initial risk | Residual risk | Controls | Tests |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| [{h['id']}](#{h['id'].lower()}) | {_cell(h['title'])} | {_rating(h['initial'])} "
        f"| {_rating(h['residual'])} | {len(h['controls'])} | {len(h['tests'])} |"
        for h in hazards
    ]
    lines += [
        "",
        "## Risk matrix (DCB0129)",
        "",
        "| Likelihood \\ Severity | " + " | ".join(SEVERITIES) + " |",
        "|---" * (len(SEVERITIES) + 1) + "|",
    ]
    lines += [
        f"| {likelihood} | " + " | ".join(str(RISK[likelihood][s]) for s in SEVERITIES) + " |"
        for likelihood in reversed(LIKELIHOODS)
    ]
    lines += ["", *(f"- {words}" for words in RISK_WORDS.values()), ""]
    for h in hazards:
        lines += [
            f'<a id="{h["id"].lower()}"></a>',
            "",
            f"## {h['id']} {h['title']}",
            "",
            h["description"],
            "",
            "**Causes**",
            "",
            *(f"- {cause}" for cause in h["causes"]),
            "",
            f"**Effect.** {h['effect']}",
            "",
            f"**Possible harm.** {h['harm']}",
            "",
            f"**Initial risk:** {_rating(h['initial'])}.",
            "",
            "**Controls**",
            "",
        ]
        for control in h["controls"]:
            code = ", ".join(f"`{ref}`" for ref in control.get("code", []))
            lines.append(f"- *{control['kind']}*: {control['text']}" + (f" ({code})" if code else ""))
        lines += [
            "",
            f"**Residual risk:** {_rating(h['residual'])}.",
            "",
            "**Evidence (tests)**",
            "",
            *(f"- `{test}`" for test in h["tests"]),
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render(load())
    if argv[1:] == ["--check"]:
        if not RENDERED.exists() or RENDERED.read_text(encoding="utf-8") != text:
            print(f"{RENDERED} is out of date: run {Path(argv[0]).as_posix()}", file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    RENDERED.write_text(text, encoding="utf-8")
    print(f"wrote {RENDERED}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
