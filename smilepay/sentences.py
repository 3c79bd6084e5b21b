"""Service refusals are written for API clients ("the URL must use https"); on a page a
person reads them as sentences: a capital first, a full stop last."""

from __future__ import annotations

from django.utils.text import capfirst


def as_sentence(text: str) -> str:
    text = str(text).strip()
    if not text:
        return text
    text = capfirst(text)
    return text if text[-1] in ".!?…" else text + "."
