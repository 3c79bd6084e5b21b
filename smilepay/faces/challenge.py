"""A capture challenge chosen by the server: which expressions, in which order, when.

Every burst used to ask for the same thing (neutral, then smile), so a recording of
that one sequence could be replayed or injected. Now the server picks, per capture
ticket, a pattern (``neutral-smile`` or ``smile-neutral-smile``) and a randomised time
for each prompt; the page follows the ticket ("Look at the camera", "Now smile",
"Relax", ...) and sends each frame's capture time. ``check_capture`` then holds the
burst to its own ticket: the number of frames of each step, their order, each frame
inside its step's window, and the capture inside the ticket's life (bounded clock
skew). ``liveness(frames, expressions=challenge.expressions())`` checks that the face
really changes as prompted: each neutral-to-smile step must show a smile rising, each
smile-to-neutral step a smile falling.

Times are milliseconds from the start of the capture (the first prompt). Pure Python,
no Django: the ticket stores ``as_json()`` and rebuilds it with ``from_json``.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

NEUTRAL, SMILE = "neutral", "smile"
PATTERNS: dict[str, tuple[str, ...]] = {
    "neutral-smile": (NEUTRAL, SMILE),
    "smile-neutral-smile": (SMILE, NEUTRAL, SMILE),
}
# Frames per step: 8 or 9 in all, as many as the burst the thresholds were measured on.
FRAMES_PER_STEP = {2: 4, 3: 3}
GAP_MS = 250  # between two frames of a step
FIRST_SETTLE_MS = 800  # from the first prompt to the first frame (find the camera)
SETTLE_MS = 600  # from a later prompt to its first frame (change the expression)
MIN_HOLD_MS = 300  # from a step's last frame to the next prompt, at least
DEFAULT_JITTER_MS = 700  # plus a random 0..jitter, so no recording fits every ticket
# How early a frame may come before its planned time (timer rounding), and how late the
# last step may end (a slow phone) before the burst no longer follows its ticket.
EARLY_MS = 60
LAST_STEP_LATE_MS = 3000
MIN_FRAME_SPACING_MS = 80


@dataclass(frozen=True)
class Step:
    expression: str  # NEUTRAL or SMILE
    prompt_at_ms: int  # the prompt appears
    first_frame_ms: int  # its first frame is taken
    frames: int

    def frame_times(self, gap_ms: int) -> list[int]:
        return [self.first_frame_ms + k * gap_ms for k in range(self.frames)]


@dataclass(frozen=True)
class Challenge:
    pattern: str
    steps: tuple[Step, ...]
    gap_ms: int = GAP_MS

    @property
    def frame_count(self) -> int:
        return sum(step.frames for step in self.steps)

    @property
    def duration_ms(self) -> int:
        """When the last frame is planned: no burst can honestly arrive sooner."""
        return self.steps[-1].frame_times(self.gap_ms)[-1]

    def planned_times(self) -> list[int]:
        """Each frame's planned capture time, as a page following the ticket takes it."""
        return [t for step in self.steps for t in step.frame_times(self.gap_ms)]

    def expressions(self) -> list[str]:
        """The expression asked for in each frame, in capture order."""
        return [step.expression for step in self.steps for _ in range(step.frames)]

    def as_json(self) -> dict:
        return {
            "pattern": self.pattern,
            "gap_ms": self.gap_ms,
            "steps": [
                {
                    "expression": s.expression,
                    "prompt_at_ms": s.prompt_at_ms,
                    "first_frame_ms": s.first_frame_ms,
                    "frames": s.frames,
                }
                for s in self.steps
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Challenge:
        steps = tuple(
            Step(
                str(s["expression"]),
                int(s["prompt_at_ms"]),
                int(s["first_frame_ms"]),
                int(s["frames"]),
            )
            for s in data["steps"]
        )
        return cls(str(data["pattern"]), steps, int(data.get("gap_ms", GAP_MS)))


def _build(pattern: str, holds: Sequence[int], frames: int | None = None) -> Challenge:
    expressions = PATTERNS[pattern]
    per_step = frames or FRAMES_PER_STEP[len(expressions)]
    steps, prompt_at = [], 0
    for index, expression in enumerate(expressions):
        first = prompt_at + (FIRST_SETTLE_MS if index == 0 else SETTLE_MS)
        steps.append(Step(expression, prompt_at, first, per_step))
        if index < len(holds):
            prompt_at = first + (per_step - 1) * GAP_MS + MIN_HOLD_MS + int(holds[index])
    return Challenge(pattern, tuple(steps))


def new_challenge(
    *, patterns: Sequence[str] | None = None, jitter_ms: int = DEFAULT_JITTER_MS
) -> Challenge:
    """A fresh challenge: a pattern and prompt times drawn with ``secrets``."""
    allowed = [p for p in (patterns or PATTERNS) if p in PATTERNS] or list(PATTERNS)
    pattern = allowed[secrets.randbelow(len(allowed))]
    holds = [
        secrets.randbelow(jitter_ms + 1) if jitter_ms > 0 else 0
        for _ in range(len(PATTERNS[pattern]) - 1)
    ]
    return _build(pattern, holds)


def fixed_challenge(pattern: str = "neutral-smile", *, holds: Sequence[int] = ()) -> Challenge:
    """A challenge with chosen pattern and holds (tests, benchmarks, synthetic bursts)."""
    count = len(PATTERNS[pattern]) - 1
    return _build(pattern, list(holds) + [0] * (count - len(holds)))


def default_expressions(count: int) -> list[str]:
    """A burst without a ticket (command line, older callers): neutral, then smile."""
    return [NEUTRAL] * (count // 2) + [SMILE] * (count - count // 2)


def check_capture(
    challenge: Challenge,
    times_ms: Sequence[float],
    *,
    started_at_ms: float | None = None,
    issued_at_ms: float | None = None,
    received_at_ms: float | None = None,
    clock_skew_ms: float = 30_000,
) -> str:
    """ "" when the frames' capture times follow the challenge, else why not:

    ``challenge_frames`` (not the ticket's number of frames), ``challenge_order`` (times
    not increasing, or frames too close together to be camera frames),
    ``challenge_timing`` (a frame outside its step's window: before its prompt had
    settled, or after the next prompt), ``challenge_clock`` (the capture did not happen
    within the ticket's life, allowing ``clock_skew_ms`` between the device and the
    server, or the burst arrived sooner than its challenge takes).
    ``started_at_ms``: the device's clock (epoch ms) at the first prompt;
    ``issued_at_ms`` / ``received_at_ms``: the server's clock when it issued the ticket
    and when the burst arrived.
    """
    times = [float(t) for t in times_ms]
    if len(times) != challenge.frame_count:
        return "challenge_frames"
    if any(b - a < MIN_FRAME_SPACING_MS for a, b in itertools.pairwise(times)):
        return "challenge_order"
    position = 0
    for index, step in enumerate(challenge.steps):
        opens = step.first_frame_ms - EARLY_MS
        if index + 1 < len(challenge.steps):
            closes = challenge.steps[index + 1].prompt_at_ms
        else:
            closes = step.frame_times(challenge.gap_ms)[-1] + LAST_STEP_LATE_MS
        for t in times[position : position + step.frames]:
            if not opens <= t < closes:
                return "challenge_timing"
        position += step.frames
    if issued_at_ms is not None and received_at_ms is not None:
        if received_at_ms - issued_at_ms < challenge.duration_ms - EARLY_MS:
            return "challenge_clock"
        if started_at_ms is not None and not (
            issued_at_ms - clock_skew_ms <= started_at_ms
            and started_at_ms + times[-1] <= received_at_ms + clock_skew_ms
        ):
            return "challenge_clock"
    return ""


# "123456.789, " with room to spare: a capture time in JSON, and its separator.
MAX_CHARS_PER_TIME = 32


def parse_frame_times(raw: str | None, *, count: int) -> list[float]:
    """Capture times sent by a page: a JSON list of ``count`` numbers of milliseconds
    from the first prompt. Raises ``ValueError`` with a message a person understands."""
    import json
    import math

    if not raw:
        raise ValueError("Send each frame's capture time (timestamps).")
    try:
        # A short list of numbers: longer text is not parsed at all (nesting would
        # exhaust the parser's recursion).
        if len(raw) > MAX_CHARS_PER_TIME * count + 2:
            raise ValueError("too long")
        values = json.loads(raw)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError("The frames' capture times are not a JSON list.") from exc
    if (
        not isinstance(values, list)
        or len(values) != count
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        or not all(math.isfinite(v) and 0 <= v <= 600_000 for v in values)
    ):
        raise ValueError(f"Send one capture time in milliseconds for each of the {count} frames.")
    return [float(v) for v in values]


def parse_started_at(raw: str | None) -> float | None:
    """The device's clock (epoch ms) at the first prompt, if it sent one."""
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError("started_at must be a time in milliseconds.") from exc
    if not 0 < value < 1e14:
        raise ValueError("started_at must be a time in milliseconds.")
    return value
