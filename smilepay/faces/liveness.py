"""``liveness(frames)``: an active smile challenge over a short burst.

The kiosk asks the customer to look at the camera, then to smile, and sends about eight
frames in capture order. The burst passes only when every rule holds; the first rule
that fails gives the reason:

=====================  ===============================================================
reason                 meaning
=====================  ===============================================================
``too_few_frames``     fewer than ``MIN_FRAMES`` frames
``no_face``            a face was found in fewer than ``MIN_FACE_SHARE`` of the frames
``multiple_faces``     a second face at least ``SECOND_FACE_RATIO`` as large as the first
``static_frames``      consecutive face crops are practically identical: a still picture
                       replayed (a real camera adds sensor noise and the head moves)
``person_changed``     the neutral and the smiling face are not the same person
``smiling_from_start`` the face already smiles at the start (a smiling photo held up)
``no_smile``           no clear smile appears later in the burst
``ok``                 passed
=====================  ===============================================================

Up to a quarter of the frames may miss a face (a blink, motion blur, the head turning).
Only two frames are encoded: the best neutral frame (with the calibrated flip-averaged
encoding, returned as ``encoding`` so a recognition does not encode again) and the
strongest smile (a cheaper single-pass encoding, only to check it is the same person).
Thresholds are module constants, measured in docs/faces-liveness.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .api import analyze_rgb
from .encode import encode_chips
from .imaging import ImageInput, decode_image
from .matching import compare
from .types import Face

MIN_FRAMES = 4
MIN_FACE_SHARE = 0.75
SECOND_FACE_RATIO = 0.5
# Median mean-absolute difference (grey levels) between consecutive 64x64 face crops.
# Identical or re-encoded frames of one still picture stay well below 0.5; a real camera
# (noise, small head motion) gives several levels.
STATIC_MAX_DIFF = 0.6
# Smile (tuned on the tuning half only, docs/faces-liveness.md). ``start`` = mean score of
# the first quarter of the face frames, ``later`` = mean score of the second half.
# The start must be neutral, the later frames smiling on average by the smile model's own
# operating point (smile.smile_threshold(), best validation accuracy), and the rise
# between them large: on the tuning half a held-up photo's later-minus-start stays
# <= 0.12 (camera noise moves single mid-range scores by +-0.3, averages much less),
# so MIN_RISE keeps a 2x margin.
START_MAX_SMILE = 0.35
PEAK_MIN_SMILE = 0.24
MIN_RISE = 0.25
# Same person across the burst: distance between the neutral and the smiling encoding.
SAME_PERSON_MAX_DISTANCE = 0.42


@dataclass(frozen=True)
class LivenessResult:
    passed: bool
    score: float  # 0..1, how convincingly the smile rose (0 when a rule failed early)
    reason: str
    best_index: int  # frame to recognise from (best neutral frame), -1 if none
    encoding: np.ndarray | None = field(default=None, repr=False)
    smiles: tuple[float, ...] = ()  # per frame, NaN where no face was found
    same_person_distance: float | None = None
    frame_difference: float | None = None


@dataclass
class _Frame:
    rgb: np.ndarray
    face: Face | None
    second_face: Face | None


def _fail(reason: str, *, best: int = -1, smiles=(), **extra) -> LivenessResult:
    return LivenessResult(False, 0.0, reason, best, smiles=tuple(smiles), **extra)


def liveness(frames: Sequence[ImageInput]) -> LivenessResult:
    """Decide whether a burst shows one live person who starts neutral and then smiles.

    ``frames``: capture order; bytes (JPEG/PNG/WebP), PIL images or RGB arrays.
    Raises :class:`~smilepay.faces.errors.FaceImageError` if a frame is not an image.
    """
    if len(frames) < MIN_FRAMES:
        return _fail("too_few_frames")
    seen = [_look(decode_image(frame)) for frame in frames]
    with_face = [i for i, f in enumerate(seen) if f.face is not None]
    smiles = tuple(f.face.smile if f.face else float("nan") for f in seen)
    if len(with_face) < max(MIN_FRAMES, MIN_FACE_SHARE * len(seen)):
        return _fail("no_face", smiles=smiles)
    if any(_crowded(f) for f in seen):
        return _fail("multiple_faces", smiles=smiles)
    difference = _frame_difference([seen[i] for i in with_face])
    if difference < STATIC_MAX_DIFF:
        return _fail("static_frames", smiles=smiles, frame_difference=difference)
    return _judge_smile(seen, with_face, smiles, difference)


def _look(rgb: np.ndarray) -> _Frame:
    # The aligned chips cost little and spare detecting again in the two frames encoded.
    faces = analyze_rgb(rgb, want_encoding=False, max_faces=2, keep_chip=True)
    first = faces[0] if faces else None
    second = faces[1] if len(faces) > 1 else None
    return _Frame(rgb, first, second)


def _crowded(frame: _Frame) -> bool:
    return (
        frame.face is not None
        and frame.second_face is not None
        and frame.second_face.area >= SECOND_FACE_RATIO * frame.face.area
    )


def _face_crop(frame: _Frame, box) -> np.ndarray:
    top, right, bottom, left = box
    grey = Image.fromarray(frame.rgb[top:bottom, left:right]).convert("L").resize((64, 64))
    return np.asarray(grey, dtype=np.float32)


def _frame_difference(frames: list[_Frame]) -> float:
    # One box for all frames, so that only the pixels change, not the crop.
    boxes = np.array([f.face.box for f in frames])
    box = (boxes[:, 0].min(), boxes[:, 1].max(), boxes[:, 2].max(), boxes[:, 3].min())
    crops = [_face_crop(f, box) for f in frames]
    diffs = [float(np.abs(a - b).mean()) for a, b in itertools.pairwise(crops)]
    return float(np.median(diffs))


def _judge_smile(seen, with_face, smiles, difference) -> LivenessResult:
    scores = np.array([smiles[i] for i in with_face], dtype=np.float32)
    head = max(1, len(scores) // 4)
    start = float(scores[:head].mean())
    later = scores[len(scores) // 2 :]
    peak_at = with_face[len(scores) // 2 + int(np.argmax(later))]
    # The mean of all the later frames, not of the strongest ones: a held-up photo's
    # single-frame scores jump with camera noise, their mean hardly moves.
    peak = float(later.mean())
    neutral = [i for i in with_face[: len(with_face) // 2] if smiles[i] <= START_MAX_SMILE]
    best = max(neutral or with_face[:1], key=lambda i: seen[i].face.quality.score)
    encoding, distance = _same_person(seen[best], seen[peak_at])
    extra = {
        "smiles": smiles,
        "frame_difference": difference,
        "same_person_distance": distance,
    }
    if distance > SAME_PERSON_MAX_DISTANCE:
        return _fail("person_changed", best=best, **extra)
    if start > START_MAX_SMILE:
        return _fail("smiling_from_start", best=best, **extra)
    if peak < PEAK_MIN_SMILE or peak - start < MIN_RISE:
        return _fail("no_smile", best=best, **extra)
    score = float(np.clip((peak - start - MIN_RISE) / (1 - MIN_RISE), 0, 1) * 0.5 + 0.5)
    return LivenessResult(True, score, "ok", best, encoding=encoding, **extra)


def _same_person(neutral: _Frame, smiling: _Frame) -> tuple[np.ndarray, float]:
    """The neutral frame's calibrated encoding, and its distance to the smiling face."""
    chips = [neutral.face.chip, smiling.face.chip]
    encoding = encode_chips(chips[:1])[0]
    quick = encode_chips(chips, flip=False)
    return encoding, compare(quick[0], quick[1])
