"""From a burst of frames to a decision: who is this, and are they live?

One pipeline for both ways of paying with a face: the kiosk's 1:N search over the
enrolled customers (`recognize_burst`) and online checkout's 1:1 check against the
signed-in customer (`verify_burst`). Both run the same burst check (the smile challenge
and presentation-attack detection), map its failures to the same outcomes and apply the
same look-alike check, so a burst is judged alike whichever way it paid.

Pure reads and face work, no state changes: the callers' tasks record the outcome
afterwards. The outcomes are the values stored on ``RecognitionAttempt.outcome``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings

from accounts import gallery_cache
from accounts.face_search import open_search_allowed
from accounts.selectors import customer_limits, face_pay_candidates, load_face_templates
from smilepay.faces import (
    BurstCheck,
    CaptureTimes,
    Challenge,
    FaceImageError,
    check_burst,
    decide,
    match_threshold,
    smile_match_distance,
    smile_match_threshold,
    verify_distance,
    verify_threshold,
)
from smilepay.stopwatch import Stopwatch


class Outcome:
    MATCHED = "matched"
    NOT_LIVE = "not_live"
    PRESENTATION_ATTACK = "presentation_attack"
    NO_FACE = "no_face"
    BAD_IMAGE = "bad_image"
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    UNAVAILABLE = "unavailable"


@dataclass
class RecognitionResult:
    outcome: str
    detail: str = ""
    # Whose face it was: the match, or a failed burst that clearly showed this customer
    # (they see it under "where my face was used"). Named even when nothing is paid.
    customer_id: int | None = None
    best_distance: float | None = None
    margin: float | None = None  # 1:N only: how far the runner-up was
    threshold: float | None = None  # 1:1 only: the threshold the distance was held to
    liveness_score: float | None = None
    pad_score: float | None = None  # presentation-attack detection: 0..1, higher = live
    near_customer_ids: list[int] = field(default_factory=list)
    searched: int | None = None  # customers the probe was compared with
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        return self.outcome == Outcome.MATCHED


def recognize_burst(
    *,
    frames: list[bytes],
    phone_digits: str = "",
    challenge: Challenge | None = None,
    times: CaptureTimes | None = None,
) -> RecognitionResult:
    """The kiosk's 1:N decision: the burst check (following the ticket's ``challenge``
    and capture ``times``), the search and the look-alike check.

    A burst that fails the challenge or PAD is still searched, with the same search and
    thresholds as a payment, so that the customer whose face it showed is named on the
    attempt (and sees it under "where my face was used"); nothing is paid."""
    watch = Stopwatch()
    burst = _check(frames, challenge=challenge, times=times, watch=watch)
    if isinstance(burst, RecognitionResult):
        return burst
    pad_score = burst.spoof.score if burst.spoof is not None else None
    if not burst.passed:
        result = _failed_burst(burst, phone_digits=phone_digits)
        result.pad_score = pad_score
        watch.lap("search")
        result.timings_ms = watch.timings
        return result
    # The burst's best neutral frame, already encoded: that is the probe.
    result = _identify(burst.encoding, phone_digits=phone_digits)
    result.liveness_score = burst.liveness.score
    result.pad_score = pad_score
    watch.lap("search")
    if result.matched:
        enrolled = load_face_templates(user_ids=[result.customer_id], candidates_only=False)
        _check_smile_is_theirs(result, burst.smile_encoding, enrolled.get(result.customer_id))
    if result.matched:
        _apply_customer_rules(result, phone_digits=phone_digits)
    result.timings_ms = watch.timings
    return result


def verify_burst(
    *,
    frames: Sequence[bytes],
    customer_id: int,
    templates: Sequence | None = None,
    challenge: Challenge | None = None,
    times: CaptureTimes | None = None,
) -> RecognitionResult:
    """Online checkout's 1:1 decision: the same burst check, then the burst's best frame
    against the customer's own template only (the normalised mean of their enrolled
    encodings, `smilepay.faces.verify_distance`, held to the calibrated 1:1
    `verify_threshold()`), then the same look-alike check.

    ``templates``: the customer's enrolled encodings; decrypted here when not given."""
    watch = Stopwatch()
    burst = _check(frames, challenge=challenge, times=times, watch=watch)
    if isinstance(burst, RecognitionResult):
        return burst
    if templates is None:
        templates = load_face_templates(user_ids=[customer_id]).get(customer_id, [])
    threshold = verify_threshold()
    distance = None
    if burst.encoding is not None and len(templates):
        distance = verify_distance(burst.encoding, list(templates))
    watch.lap("compare")
    theirs = distance is not None and distance <= threshold
    result = RecognitionResult(
        Outcome.MATCHED if theirs else Outcome.NO_MATCH,
        "" if theirs else "not_this_customer",
        # A failed burst that showed this customer's face names them too.
        customer_id=customer_id if theirs else None,
        best_distance=distance,
        threshold=threshold,
        liveness_score=burst.liveness.score,
        pad_score=burst.spoof.score if burst.spoof is not None else None,
        timings_ms=watch.timings,
    )
    if not burst.passed:
        result.outcome, result.detail = _failed_outcome(burst), burst.reason
    elif theirs:
        _check_smile_is_theirs(result, burst.smile_encoding, templates)
    return result


def _check(
    frames: Sequence[bytes],
    *,
    challenge: Challenge | None,
    times: CaptureTimes | None,
    watch: Stopwatch,
) -> BurstCheck | RecognitionResult:
    """The burst check, or the bad-image result when a frame cannot be decoded."""
    try:
        burst = check_burst(
            list(frames), challenge=challenge, times=times, require_pad=settings.FACE_PAD_REQUIRED
        )
    except FaceImageError as exc:
        return RecognitionResult(Outcome.BAD_IMAGE, detail=str(exc), timings_ms=watch.timings)
    watch.lap("liveness")
    if "pad" in burst.timings_ms:  # of which presentation-attack detection
        watch.timings["pad"] = burst.timings_ms["pad"]
    return burst


def _failed_outcome(burst: BurstCheck) -> str:
    return {
        "presentation_attack": Outcome.PRESENTATION_ATTACK,
        "no_face": Outcome.NO_FACE,
    }.get(burst.outcome, Outcome.NOT_LIVE)


def _check_smile_is_theirs(result: RecognitionResult, smile_encoding, enrolled) -> None:
    """The look-alike check: the smiling face must be the matched customer's too, or the
    burst was a person swap (the victim's neutral face, an accomplice's smile)."""
    if smile_encoding is None or enrolled is None or not len(enrolled):
        result.outcome, result.detail = Outcome.NOT_LIVE, "smile_not_checked"
        return
    if smile_match_distance(smile_encoding, list(enrolled)) > smile_match_threshold():
        # The customer stays named: someone tried to pay with their face.
        result.outcome, result.detail = Outcome.NOT_LIVE, "smile_of_another_person"


def _failed_burst(burst: BurstCheck, *, phone_digits: str) -> RecognitionResult:
    outcome = _failed_outcome(burst)
    result = RecognitionResult(outcome, detail=burst.reason, liveness_score=burst.liveness.score)
    if burst.encoding is None or outcome == Outcome.NO_FACE:
        return result
    found = _identify(burst.encoding, phone_digits=phone_digits)
    # Whose face it was, by the payment's own rules; only a clear match names them.
    result.customer_id = found.customer_id if found.matched else None
    result.near_customer_ids = found.near_customer_ids
    result.best_distance, result.margin = found.best_distance, found.margin
    result.searched = found.searched
    return result


def _identify(encoding, *, phone_digits: str) -> RecognitionResult:
    if phone_digits:
        # The customer told us who they might be: search only among those people.
        ids = set(face_pay_candidates(phone_last4=phone_digits).values_list("pk", flat=True))
        gallery = gallery_cache.subset_gallery(ids)
    else:
        gallery = gallery_cache.current_templates().gallery
        if not open_search_allowed(identities=len(gallery)):
            # Enrolment grew past the open-search budget after the kiosk was told it
            # need not ask: too wide to search without the digits.
            return RecognitionResult(
                Outcome.AMBIGUOUS, detail="phone_digits_required", searched=len(gallery)
            )
    results = gallery.search(encoding, k=2)
    decision = decide(results)
    near_limit = match_threshold() * settings.KIOSK_NEAR_MATCH_FACTOR
    near = [int(uid) for uid, distance in results if distance <= near_limit]
    margin = None
    if decision.distance is not None and decision.second_distance is not None:
        margin = decision.second_distance - decision.distance
    outcome = {
        "match": Outcome.MATCHED,
        "ambiguous": Outcome.AMBIGUOUS,
    }.get(decision.reason, Outcome.NO_MATCH)
    return RecognitionResult(
        outcome,
        detail=decision.reason,
        customer_id=int(decision.identity_id) if decision.matched else None,
        best_distance=decision.distance,
        margin=margin,
        near_customer_ids=near,
        searched=len(gallery),
    )


def _apply_customer_rules(result: RecognitionResult, *, phone_digits: str) -> None:
    """The identity is decided over everyone enrolled; only then do that person's rules apply.

    Leaving a paused customer out of the search instead would let the next most similar
    person match in their place. Money limits are the payment's business (payment_match).
    """
    customer_id = result.customer_id
    if not face_pay_candidates().filter(pk=customer_id).exists():
        result.outcome, result.detail = Outcome.UNAVAILABLE, "face_pay_off"
        return
    if customer_limits(user_id=customer_id).always_require_phone_digits and not phone_digits:
        result.outcome, result.detail = Outcome.AMBIGUOUS, "phone_digits_required"
