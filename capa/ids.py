"""Ids typed into URLs and forms. `str.isdigit()` accepts "²" and other digits that `int()`
refuses, so a hand-edited URL could become a server error."""

from __future__ import annotations

import re

ID = re.compile(r"[0-9]{1,18}")  # a bigint has at most 19 digits; 18 always fits


def is_id(text: str) -> bool:
    return bool(ID.fullmatch(text))
