"""Stage timings for records such as a recognition attempt (milliseconds, one decimal)."""

from __future__ import annotations

import time


class Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Record the time since the previous lap (or the start) under `stage`."""
        now = time.perf_counter()
        self.timings[stage] = round((now - self._last) * 1000, 1)
        self._last = now
