"""The shapes of identifiers and dates the fake reads: one owner for each pattern.

SIDs are a two-letter prefix and 32 hex digits (DECISIONS.md "Identifiers"); Trunking v1 dates are
ISO 8601 in UTC with a ``Z`` (``2024-01-02T03:04:05Z``). Every pattern here is anchored and linear.
"""

from __future__ import annotations

import re
from typing import Dict, Pattern

SID_PREFIXES = ("AC", "TK", "OU", "CL", "AL", "PN", "SK")

ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}\Z")
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")

_SIDS: Dict[str, Pattern[str]] = {p: re.compile(p + r"[0-9a-fA-F]{32}\Z") for p in SID_PREFIXES}


def sid_pattern(prefix: str) -> Pattern[str]:
    """The anchored pattern of a SID with this prefix (``TK`` + 32 hex digits...)."""
    pattern = _SIDS.get(prefix)
    if pattern is None:
        pattern = _SIDS[prefix] = re.compile(re.escape(prefix) + r"[0-9a-fA-F]{32}\Z")
    return pattern


def is_sid(value: object, prefix: str) -> bool:
    return isinstance(value, str) and sid_pattern(prefix).match(value) is not None
