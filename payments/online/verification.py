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

from django.conf import settings

from smilepay import faces
from smilepay.faces import CaptureTimes, Challenge, check_burst
from smilepay.stopwatch import Stopwatch


class Outcome:
    VERIFIED = "matched"  # RecognitionAttempt's vocabulary
    NOT_LIVE = "not_live"
    PRESENTATION_ATTACK = "presentation_attack"
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
    pad_score: float | None = None
    # The burst failed, but its face is this customer's (1:1, same threshold): the
    # attempt names them ("someone tried to pay with a photo of you").
    their_face: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.outcome == Outcome.VERIFIED


def verify_threshold() -> float:
    """The engine's calibrated 1:1 threshold in force."""
    return faces.verify_threshold()


def verify_burst(
    *,
    frames: Sequence[bytes],
    templates: Sequence,
    challenge: Challenge | None = None,
    times: CaptureTimes | None = None,
) -> FaceCheck:
    """The smile challenge (the ticket's ``challenge`` and capture ``times``) and
    presentation-attack detection on the burst, then its best frame against the
    customer's template (``templates``: their enrolled encodings, combined as ``Gallery``
    does), then the look-alike check: the smiling face must be theirs too."""
    watch = Stopwatch()
    timings = watch.timings
    try:
        burst = check_burst(
            list(frames), challenge=challenge, times=times, require_pad=settings.FACE_PAD_REQUIRED
        )
    except faces.FaceImageError as exc:
        return FaceCheck(Outcome.BAD_IMAGE, str(exc), timings_ms=timings)
    watch.lap("liveness")
    threshold = verify_threshold()
    distance = None
    if burst.encoding is not None and len(templates):
        distance = faces.verify_distance(burst.encoding, list(templates))
    watch.lap("compare")
    theirs = distance is not None and distance <= threshold
    check = FaceCheck(
        Outcome.VERIFIED if theirs else Outcome.NO_MATCH,
        "" if theirs else "not_this_customer",
        distance=distance,
        threshold=threshold,
        liveness_score=burst.liveness.score,
        pad_score=burst.spoof.score if burst.spoof is not None else None,
        their_face=theirs,
        timings_ms=timings,
    )
    if not burst.passed:
        check.outcome = {
            "presentation_attack": Outcome.PRESENTATION_ATTACK,
            "no_face": Outcome.NO_FACE,
        }.get(burst.outcome, Outcome.NOT_LIVE)
        check.detail = burst.reason
    elif theirs and not faces.smile_matches(burst.smile_encoding, list(templates)):
        check.outcome, check.detail = Outcome.NOT_LIVE, "smile_of_another_person"
    return check
