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
    liveness(frames)                  # LivenessResult: .passed .score .reason .best_index
    Gallery().add(id, encodings) / .remove(id) / .search(encoding, k=2)
"""

from .api import analyze, analyze_rgb
from .errors import FaceImageError
from .imaging import decode_image
from .liveness import LivenessResult, liveness
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
from .types import Face, Quality

__all__ = [
    "Decision",
    "Face",
    "FaceImageError",
    "Gallery",
    "LivenessResult",
    "Quality",
    "analyze",
    "analyze_rgb",
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
    "verify_distance",
    "verify_threshold",
]
