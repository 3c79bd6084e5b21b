"""One pipeline for both ways of paying with a face: the kiosk's 1:N `recognize_burst` and
online checkout's 1:1 `verify_burst` judge the same burst alike. The burst check's
verdicts are stood in (named so) to pin the mapping; the real engine runs in
tests/kiosk/test_recognition_flow.py and tests/payments/test_online_faces.py."""

from __future__ import annotations

import numpy as np
import pytest

from accounts import recognition
from accounts.recognition import Outcome
from smilepay.faces import BurstCheck, FaceImageError, LivenessResult, SpoofResult

TEMPLATES = [np.eye(128, dtype=np.float32)[0]]


def both() -> list:
    """The kiosk's and the phone's result for the same stood-in burst."""
    return [
        recognition.recognize_burst(frames=[b"f"] * 8),
        recognition.verify_burst(frames=[b"f"] * 8, customer_id=7, templates=TEMPLATES),
    ]


@pytest.fixture
def burst(monkeypatch):
    """Set `burst.verdict` to what check_burst answers (a BurstCheck, or an exception)."""

    class Stand:
        verdict: BurstCheck | Exception

        def __call__(self, frames, **_):
            if isinstance(self.verdict, Exception):
                raise self.verdict
            return self.verdict

    stand = Stand()
    monkeypatch.setattr(recognition, "check_burst", stand)
    return stand


def failed(reason: str, *, pad: float | None = None) -> BurstCheck:
    return BurstCheck(
        passed=False,
        reason=reason,
        liveness=LivenessResult(
            passed=reason != "not_live", score=0.4, reason=reason, best_index=-1
        ),
        spoof=SpoofResult(live=False, score=pad, reason=reason) if pad is not None else None,
        timings_ms={"liveness": 5.0, "pad": 2.0} if pad is not None else {"liveness": 5.0},
    )


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("presentation_attack", Outcome.PRESENTATION_ATTACK),
        ("no_face", Outcome.NO_FACE),
        ("no_smile", Outcome.NOT_LIVE),
        ("challenge_not_followed", Outcome.NOT_LIVE),
    ],
)
def test_a_failed_burst_has_the_same_outcome_at_the_kiosk_and_online(burst, reason, outcome):
    burst.verdict = failed(reason, pad=0.03)
    for result in both():
        assert (result.outcome, result.detail, result.customer_id) == (outcome, reason, None)
        assert result.pad_score == 0.03 and result.liveness_score == 0.4
        assert {"liveness", "pad"} <= set(result.timings_ms)


def test_an_unreadable_frame_is_a_bad_image_for_both(burst):
    burst.verdict = FaceImageError("frame 3 is not an image")
    for result in both():
        assert (result.outcome, result.detail) == (Outcome.BAD_IMAGE, "frame 3 is not an image")


def test_online_the_look_alike_check_refuses_a_burst_without_its_smiling_face(burst):
    burst.verdict = BurstCheck(
        passed=True,
        reason="ok",
        liveness=LivenessResult(passed=True, score=0.9, reason="ok", best_index=0),
        encoding=TEMPLATES[0],
        smile_encoding=None,
    )
    result = recognition.verify_burst(frames=[b"f"] * 8, customer_id=7, templates=TEMPLATES)
    # Their neutral face, so they are named; the smile could not be checked as theirs.
    assert (result.outcome, result.detail, result.customer_id) == (
        Outcome.NOT_LIVE,
        "smile_not_checked",
        7,
    )
    assert result.best_distance == pytest.approx(0.0, abs=1e-6)
