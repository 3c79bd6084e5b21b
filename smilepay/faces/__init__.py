"""SmilePay's face engine: pure Python (numpy, dlib, Pillow, LiteRT), no Django or Celery.

Configuration (detector, encoders, calibrated thresholds) is read once, at start-up:
``smilepay.faces.config.load()``; research tools live in ``smilepay.faces.lab`` and are
never imported here.

Public API (stable names)::

    from smilepay.faces import analyze, compare, liveness, match_threshold, Gallery

    faces = analyze(image)            # bytes | PIL.Image | numpy -> list[Face], largest first
    compare(encoding_a, encoding_b)   # Euclidean distance, lower = more alike
    match_threshold()                 # calibrated 1:N threshold (SMILEPAY_MATCH_THRESHOLD)
    match_fmr()                       # false matches per comparison at that threshold
    false_match_risk(identities=N)    # chance a stranger matches someone among N
    verify_threshold()                # calibrated 1:1 threshold (SMILEPAY_VERIFY_THRESHOLD)
    verify_distance(encoding, enrolled)  # 1:1 score: probe vs the normalised mean template
    liveness(frames, expressions=None)  # LivenessResult: .passed .score .reason .best_index
    spoof_check(frames)               # SpoofResult: .live .score .reason (presentation attack)
    new_challenge() / Challenge       # a server-chosen capture challenge and its timing
    check_burst(frames, challenge=, times=)  # liveness + PAD + challenge: BurstCheck
    smile_matches(smile_encoding, enrolled)  # the look-alike check
    Gallery().add(id, encodings) / .remove(id) / .search(encoding, k=2)
"""

from .api import analyze, analyze_rgb
from .burst_check import BurstCheck, CaptureTimes, check_burst
from .challenge import Challenge, check_capture, new_challenge
from .errors import FaceImageError
from .imaging import decode_image
from .liveness import LivenessResult, liveness
from .lookalike import smile_match_distance, smile_match_threshold, smile_matches
from .matching import (
    Decision,
    Gallery,
    compare,
    decide,
    false_match_risk,
    match_fmr,
    match_margin,
    match_threshold,
    max_identities_for_risk,
    mean_template,
    verify_distance,
    verify_threshold,
)
from .pad import SpoofResult, spoof_check
from .types import Face, Quality

__all__ = [
    "BurstCheck",
    "CaptureTimes",
    "Challenge",
    "Decision",
    "Face",
    "FaceImageError",
    "Gallery",
    "LivenessResult",
    "Quality",
    "SpoofResult",
    "analyze",
    "analyze_rgb",
    "check_burst",
    "check_capture",
    "compare",
    "decide",
    "decode_image",
    "false_match_risk",
    "liveness",
    "match_fmr",
    "match_margin",
    "match_threshold",
    "max_identities_for_risk",
    "mean_template",
    "new_challenge",
    "smile_match_distance",
    "smile_match_threshold",
    "smile_matches",
    "spoof_check",
    "verify_distance",
    "verify_threshold",
]
