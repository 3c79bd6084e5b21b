"""Strict parsing of identifiers typed into URLs and forms.

`str.isdigit()` is true for '²' and '٣', and `int()` accepts Arabic-Indic digits,
underscores and spaces: neither decides whether a string is a database id.
"""

from __future__ import annotations

import re

# The largest value a PostgreSQL bigint (Django's BigAutoField) holds.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def strict_id(text: object) -> int | None:
    """`text` as a positive database id if it is nothing but ASCII digits in range."""
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def strict_length(text: object) -> int:
    """A Content-Length header's value; 0 when absent, and huge when it is not a number."""
    if text in (None, ""):
        return 0
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text.strip()):
        return MAX_ID
    return int(text)
