"""From a burst of frames to a decision: who is this, and may they pay this amount?

Pure reads and face work, no state changes: the task records the outcome afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from accounts.selectors import customer_limits, face_pay_candidates
from kiosk import gallery_cache, search_policy
from smilepay.faces import FaceImageError, decide, liveness, match_threshold
from smilepay.stopwatch import Stopwatch


class Outcome:
    MATCHED = "matched"
    NOT_LIVE = "not_live"
    NO_FACE = "no_face"
    BAD_IMAGE = "bad_image"
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    UNAVAILABLE = "unavailable"


@dataclass
class RecognitionResult:
    outcome: str
    detail: str = ""
    customer_id: int | None = None
    best_distance: float | None = None
    margin: float | None = None
    liveness_score: float | None = None
    near_customer_ids: list[int] = field(default_factory=list)
    searched: int | None = None  # customers the probe was compared with
    timings_ms: dict[str, float] = field(default_factory=dict)


def recognize_burst(
    *, frames: list[bytes], amount_minor: int, phone_digits: str = ""
) -> RecognitionResult:
    watch = Stopwatch()
    try:
        live = liveness(frames)
    except FaceImageError as exc:
        return RecognitionResult(Outcome.BAD_IMAGE, detail=str(exc), timings_ms=watch.timings)
    watch.lap("liveness")
    if not live.passed:
        outcome = Outcome.NO_FACE if live.reason == "no_face" else Outcome.NOT_LIVE
        return RecognitionResult(
            outcome, detail=live.reason, liveness_score=live.score, timings_ms=watch.timings
        )
    # liveness() encodes its best neutral frame: that is the probe.
    result = _identify(live.encoding, phone_digits=phone_digits)
    result.liveness_score = live.score
    watch.lap("search")
    if result.outcome == Outcome.MATCHED:
        _apply_customer_rules(result, phone_digits=phone_digits)
    result.timings_ms = watch.timings
    return result


def _identify(encoding, *, phone_digits: str) -> RecognitionResult:
    if phone_digits:
        # The customer told us who they might be: search only among those people.
        ids = set(face_pay_candidates(phone_last4=phone_digits).values_list("pk", flat=True))
        gallery = gallery_cache.subset_gallery(ids)
    else:
        gallery = gallery_cache.current_templates().gallery
        if not search_policy.open_search_allowed(identities=len(gallery)):
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
