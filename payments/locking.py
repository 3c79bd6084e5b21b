"""Row locking for money paths, with a test-only seam to switch it off.

Every service that moves money re-reads its rows through `locked()`. The concurrency
tests turn locking off with `without_row_locks()` to show the lost updates it
prevents; production code must never call that.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

_state = {"enabled": True, "pause_after_read": 0.0}


def locked(queryset: QuerySet[M]) -> QuerySet[M]:
    if _state["enabled"]:
        return queryset.select_for_update()
    return queryset


def race_window() -> None:
    """Tests widen the read-then-write window here so a race shows reliably."""
    if _state["pause_after_read"]:
        time.sleep(_state["pause_after_read"])


@contextmanager
def without_row_locks(*, pause_after_read: float = 0.0) -> Iterator[None]:
    """TEST ONLY: read money rows without SELECT ... FOR UPDATE."""
    previous = dict(_state)
    _state.update(enabled=False, pause_after_read=pause_after_read)
    try:
        yield
    finally:
        _state.update(previous)


@contextmanager
def widened_race_window(seconds: float) -> Iterator[None]:
    """TEST ONLY: the same pause, with locking left on (the paired control)."""
    previous = dict(_state)
    _state.update(pause_after_read=seconds)
    try:
        yield
    finally:
        _state.update(previous)
