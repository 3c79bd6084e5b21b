"""The 1:1 face check of online checkout: pure face work, no database, no Django models.

After the burst passed liveness, the probe is compared only with the signed-in customer's
*own* template: the normalised mean of their enrolled encodings
(`smilepay.faces.verify_distance`, what `Gallery` keeps per identity). The threshold is the
engine's calibrated 1:1 `verify_threshold()` (env SMILEPAY_VERIFY_THRESHOLD), measured on
that very statistic in docs/faces-accuracy.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from smilepay import faces
from smilepay.faces import liveness
from smilepay.stopwatch import Stopwatch


class Outcome:
    VERIFIED = "matched"  # RecognitionAttempt's vocabulary
    NOT_LIVE = "not_live"
    NO_FACE = "no_face"
    BAD_IMAGE = "bad_image"
    NO_MATCH = "no_match"


@dataclass
class FaceCheck:
    outcome: str
    detail: str = ""
    distance: float | None = None
    threshold: float | None = None
    liveness_score: float | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.outcome == Outcome.VERIFIED


def verify_threshold() -> float:
    """The engine's calibrated 1:1 threshold in force."""
    return faces.verify_threshold()


def verify_burst(*, frames: Sequence[bytes], templates: Sequence) -> FaceCheck:
    """Liveness over the burst, then the best frame against the customer's template
    (``templates``: their enrolled encodings, combined as ``Gallery`` does)."""
    watch = Stopwatch()
    timings = watch.timings
    try:
        live = liveness(list(frames))
    except faces.FaceImageError as exc:
        return FaceCheck(Outcome.BAD_IMAGE, str(exc), timings_ms=timings)
    watch.lap("liveness")
    if not live.passed:
        outcome = Outcome.NO_FACE if live.reason == "no_face" else Outcome.NOT_LIVE
        return FaceCheck(outcome, live.reason, liveness_score=live.score, timings_ms=timings)
    probe = live.encoding  # liveness() encodes its best neutral frame
    threshold = verify_threshold()
    distance = faces.verify_distance(probe, list(templates)) if len(templates) else None
    watch.lap("compare")
    verified = distance is not None and distance <= threshold
    return FaceCheck(
        Outcome.VERIFIED if verified else Outcome.NO_MATCH,
        "" if verified else "not_this_customer",
        distance=distance,
        threshold=threshold,
        liveness_score=live.score,
        timings_ms=timings,
    )
