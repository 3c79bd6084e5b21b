"""``check_burst``: everything a payment asks of a burst before the face is searched.

One call for the kiosk and online checkout, so that both require the same things of
the same burst:

1. the smile challenge (``liveness``), following the ticket's challenge when there is
   one (``expressions``);
2. passive presentation-attack detection (``spoof_check``) on a few of the same frames,
   reusing the frames liveness decoded and the faces it found;
3. the capture times against the ticket's challenge (``check_capture``).

The first reason wins in this order: ``too_few_frames`` / ``no_face`` (nothing to
judge), ``presentation_attack`` (the frames show a photo or a screen, whatever else
they do), ``challenge_*`` (the burst does not follow its ticket), then liveness's own
reasons. Even a failed burst keeps the best neutral frame's encoding where a face was
found, so that the caller can run the same search as a payment and show the attempt to
the customer whose face it was (``encoding``); the look-alike check needs the strongest
smile's encoding (``smile_encoding``, set when the smile rules were reached).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .api import analyze_rgb
from .challenge import Challenge, check_capture
from .imaging import ImageInput, decode_image
from .liveness import LivenessResult, liveness
from .pad import SpoofResult, spoof_check

NOTHING_TO_JUDGE = ("too_few_frames", "no_face")


@dataclass(frozen=True)
class CaptureTimes:
    """What the device and the server say about when the burst was taken."""

    frame_ms: Sequence[float] | None  # each frame, ms from the first prompt
    started_at_ms: float | None = None  # the device's clock at the first prompt (epoch ms)
    issued_at_ms: float | None = None  # the server's clock when the ticket was issued
    received_at_ms: float | None = None  # the server's clock when the burst arrived
    clock_skew_ms: float = 30_000


@dataclass(frozen=True)
class BurstCheck:
    passed: bool
    reason: str
    liveness: LivenessResult
    spoof: SpoofResult | None = None
    encoding: np.ndarray | None = field(default=None, repr=False)
    smile_encoding: np.ndarray | None = field(default=None, repr=False)
    timings_ms: dict[str, float] = field(default_factory=dict)  # "liveness", "pad"

    @property
    def outcome(self) -> str:
        """``ok``, ``presentation_attack``, ``no_face`` or ``not_live``."""
        if self.passed:
            return "ok"
        if self.reason == "presentation_attack":
            return "presentation_attack"
        return "no_face" if self.reason == "no_face" else "not_live"


def check_burst(
    frames: Sequence[ImageInput],
    *,
    challenge: Challenge | None = None,
    times: CaptureTimes | None = None,
    require_pad: bool = True,
) -> BurstCheck:
    """Judge one burst (capture order). ``challenge``: the ticket's, whose capture
    ``times`` then must follow it; None for a burst without a ticket (neutral, then
    smile). ``require_pad=False`` skips presentation-attack detection: only for
    test rigs whose camera plays photographs, which that detection rightly refuses.
    Raises :class:`~smilepay.faces.errors.FaceImageError` if a frame is not an image."""
    timing = ""
    expressions = None
    if challenge is not None:
        frame_ms = times.frame_ms if times is not None else None
        timing = "challenge_timing" if frame_ms is None else _timing(challenge, times)
        if len(frames) == challenge.frame_count:
            expressions = challenge.expressions()
    started = time.perf_counter()
    live = liveness(frames, expressions=expressions)
    timings = {"liveness": _ms_since(started)}
    spoof = None
    if require_pad and live.reason not in NOTHING_TO_JUDGE:
        started = time.perf_counter()
        # The frames liveness decoded: PAD scores the same pixels, decoded once.
        spoof = spoof_check(live.frames_rgb or frames, faces=live.faces)
        timings["pad"] = _ms_since(started)
    encoding = live.encoding
    if encoding is None and live.reason != "too_few_frames":
        encoding = _best_encoding(frames, live)
    reason = live.reason
    if live.reason not in NOTHING_TO_JUDGE:
        if spoof is not None and not spoof.live:
            reason = "presentation_attack"
        elif timing:
            reason = timing
    passed = reason == "ok"
    return BurstCheck(passed, reason, live, spoof, encoding, live.smile_encoding, timings)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _timing(challenge: Challenge, times: CaptureTimes) -> str:
    return check_capture(
        challenge,
        times.frame_ms,
        started_at_ms=times.started_at_ms,
        issued_at_ms=times.issued_at_ms,
        received_at_ms=times.received_at_ms,
        clock_skew_ms=times.clock_skew_ms,
    )


def _best_encoding(frames: Sequence[ImageInput], live: LivenessResult) -> np.ndarray | None:
    """The calibrated encoding of the best-quality face, for a burst that failed before
    liveness encoded one (static frames, a second face): whose face was it?"""
    found = [(face.quality.score, i) for i, face in enumerate(live.faces) if face is not None]
    if not found:
        return None
    _, index = max(found)
    rgb = live.frames_rgb[index] if live.frames_rgb else decode_image(frames[index])
    faces = analyze_rgb(rgb, want_smile=False, max_faces=1)
    return faces[0].encoding if faces else None
