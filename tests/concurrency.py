"""Races on PostgreSQL: real threads, each on its own database connection.

The product takes its row locks with plain `select_for_update()`; nothing in it exists
for the tests. To make a race show every time, a test asks `run_concurrently` to hold
each thread just before its first write to a table (`hold_before_writing=Model`) until
every other thread has got that far too, has finished, or is waiting for a lock. With
the lock, the threads queue up on it and the hold costs nothing; without it
(`without_row_locks`), every thread has read before any writes, so all act on the same
stale read and the lost update or double spend happens every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model, QuerySet

HOLD_TIMEOUT = 60.0


def without_row_locks(monkeypatch: pytest.MonkeyPatch, *models: type[Model]) -> None:
    """For this test only, `select_for_update()` on these models (on every model if none
    is named) reads without locking, in every thread: the control of a lock's race test."""
    real = QuerySet.select_for_update

    def unlocked(self: QuerySet, *args: Any, **kwargs: Any) -> QuerySet:
        if models and self.model not in models:
            return real(self, *args, **kwargs)
        return self.all()

    monkeypatch.setattr(QuerySet, "select_for_update", unlocked)


class _Race:
    """Who is about to write (or finished), and which threads PostgreSQL has waiting on a lock."""

    def __init__(self, count: int, tables: tuple[str, ...]) -> None:
        self.count = count
        self.writes = tuple(
            start for table in tables for start in (f'INSERT INTO "{table}"', f'UPDATE "{table}"')
        )
        self.pids: dict[int, int] = {}
        self.ready: set[int] = set()
        self.lock = threading.Lock()

    def is_write(self, sql: str) -> bool:
        return bool(self.writes) and sql.lstrip().startswith(self.writes)

    def mark_ready(self, index: int) -> None:
        with self.lock:
            self.ready.add(index)

    def waiting_on_a_lock(self, raw_connection) -> set[int]:
        by_pid = {pid: index for index, pid in self.pids.items()}
        with raw_connection.cursor() as cursor:
            cursor.execute(
                "SELECT p FROM unnest(%s::int[]) AS p WHERE cardinality(pg_blocking_pids(p)) > 0",
                [list(by_pid)],
            )
            return {by_pid[pid] for (pid,) in cursor.fetchall()}

    def hold(self, index: int, raw_connection) -> None:
        """Wait until every thread is about to write, has finished, or waits for a lock."""
        self.mark_ready(index)
        deadline = time.monotonic() + HOLD_TIMEOUT
        while True:
            with self.lock:
                ready = set(self.ready)
            if len(ready | self.waiting_on_a_lock(raw_connection)) >= self.count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the race never lined up: {len(ready)}/{self.count} there")
            time.sleep(0.005)  # polling PostgreSQL's lock table: the event has no signal

    def wrapper(self, index: int) -> Callable:
        held = False

        def execute(run, sql, params, many, context):
            nonlocal held
            if not held and self.is_write(sql):
                held = True
                self.hold(index, context["connection"].connection)
            return run(sql, params, many, context)

        return execute


def run_concurrently(
    count: int,
    work: Callable[[int], Any],
    *,
    hold_before_writing: type[Model] | tuple[type[Model], ...] = (),
) -> tuple[list[Any], list[BaseException]]:
    """Run `work(i)` in `count` threads started together; returns (results, errors).

    `hold_before_writing`: hold each thread before its first write to one of these
    models' tables until all threads are lined up there (module docstring).
    """
    if not isinstance(hold_before_writing, tuple):
        hold_before_writing = (hold_before_writing,)
    race = _Race(count, tuple(model._meta.db_table for model in hold_before_writing))
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    lock = threading.Lock()

    def runner(index: int) -> None:
        try:
            if hold_before_writing:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    race.pids[index] = cursor.fetchone()[0]
            barrier.wait(timeout=30)
            with connection.execute_wrapper(race.wrapper(index)):
                results[index] = work(index)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            race.mark_ready(index)
            # Each thread opened its own connection; close it so the test database can go.
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
