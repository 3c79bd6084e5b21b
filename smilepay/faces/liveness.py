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
``smiling_from_start`` no smile appears, and the face smiled from the start (a smiling
                       photo held up)
``no_smile``           no smile appears later in the burst
``ok``                 passed
=====================  ===============================================================

A smile "appears" when the later half of the burst differs from its start, for this
person, by clearly more than a held-up photo's camera noise in any of three measures:
the smile model's logit, the mouth's width and how far its corners lift (the last two
from the Face Mesh landmarks, in units of the eye distance). Comparing the person with
themselves, rather than each frame with a population threshold, is what lets a subtle
smile pass while a photo of a broad smile, which never changes, fails.

Up to a quarter of the frames may miss a face (a blink, motion blur, the head turning).
Only two frames are encoded, both with the calibrated flip-averaged encoding: the best
neutral frame (returned as ``encoding`` so a recognition does not encode again) and the
strongest smile (only to check it is the same person).
Thresholds are module constants, measured in docs/faces-liveness.md.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .api import analyze_rgb
from .config import current
from .encode import encode_chips
from .encoders import complete
from .imaging import ImageInput, decode_image
from .mesh import mouth_of
from .smile import smile_threshold
from .types import Face

MIN_FRAMES = 4
MIN_FACE_SHARE = 0.75
SECOND_FACE_RATIO = 0.5
# Median mean-absolute difference (grey levels) between consecutive 64x64 face crops.
# Identical or re-encoded frames of one still picture stay well below 0.5; a real camera
# (noise, small head motion) gives several levels.
STATIC_MAX_DIFF = 0.6
# The smile must rise between ``start`` (mean of the first quarter of the face frames)
# and ``later`` (mean of the second half) in at least one of these measures. Each is 1.25x
# the largest rise among the 642 held-up photo bursts that reached this rule on the tuning
# half (their 99th percentile is 0.5-0.65x of that largest rise; docs/faces-liveness.md).
RISE_THRESHOLDS = {
    "logit": 2.17,  # smile model logit (chip and mirror averaged)
    "width": 0.065,  # mouth corner to corner / outer eye-corner distance
    "lift": 0.024,  # mouth corners above the lip centre line / eye-corner distance
}
# Smile probabilities are clipped before the logit: beyond this the model's confidence
# is noise, and one saturated frame would otherwise swamp the mean.
LOGIT_CLIP = 1e-4
# Same person across the burst: distance between the neutral and the smiling face's
# calibrated encodings. Tuning half: genuine bursts (expression changed) 0.30 median, 0.44
# max; a different person 0.40 at the lowest (look-alike tennis players), 0.46 at the 5th
# percentile. 0.40 lets 1 of 137 swaps through there and refuses 2 of 116 genuine bursts;
# the payment itself still needs the calibrated 1:N or 1:1 match.
SAME_PERSON_MAX_DISTANCE = 0.40


@dataclass(frozen=True)
class LivenessResult:
    passed: bool
    score: float  # 0..1, how convincingly the smile rose (0 when a rule failed early)
    reason: str
    best_index: int  # frame to recognise from (best neutral frame), -1 if none
    encoding: np.ndarray | None = field(default=None, repr=False)
    smiles: tuple[float, ...] = ()  # per frame, NaN where no face was found
    rises: dict[str, float] = field(default_factory=dict)  # later minus start, per measure
    same_person_distance: float | None = None
    frame_difference: float | None = None


@dataclass
class _Frame:
    rgb: np.ndarray
    face: Face | None
    second_face: Face | None
    mouth: np.ndarray | None = None  # MouthShape.as_array() of the first face


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
    mouth = None
    if first is not None:
        try:
            mouth = mouth_of(rgb=rgb, box=first.box, landmarks=first.landmarks).as_array()
        except ValueError:  # degenerate landmarks: the smile model's logit still counts
            mouth = None
    return _Frame(rgb, first, second, mouth)


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


def _rises(seen: list[_Frame], with_face: list[int]) -> tuple[dict[str, float], float, int]:
    """Later-minus-start per measure, the start's smile probability, the peak frame."""
    probs = np.array([seen[i].face.smile for i in with_face], dtype=np.float64)
    logits = _logit(probs)
    mouths = np.array(
        [seen[i].mouth if seen[i].mouth is not None else [np.nan] * 3 for i in with_face]
    )
    head, half = max(1, len(with_face) // 4), len(with_face) // 2
    measures = np.column_stack([logits, mouths[:, 0], mouths[:, 1]])
    with warnings.catch_warnings():
        # A measure missing in every frame of a part stays NaN and is skipped below.
        warnings.simplefilter("ignore", RuntimeWarning)
        start = np.nanmean(measures[:head], axis=0)
        later = np.nanmean(measures[half:], axis=0)
    rise = later - start
    rises = {name: float(value) for name, value in zip(RISE_THRESHOLDS, rise, strict=True)}
    peak_at = with_face[half + int(np.argmax(logits[half:]))]
    return rises, float(probs[:head].mean()), peak_at


def _logit(probs: np.ndarray) -> np.ndarray:
    p = np.clip(np.nan_to_num(probs, nan=0.5), LOGIT_CLIP, 1 - LOGIT_CLIP)
    return np.log(p / (1 - p))


def _judge_smile(seen, with_face, smiles, difference) -> LivenessResult:
    rises, start, peak_at = _rises(seen, with_face)
    neutral = [i for i in with_face[: len(with_face) // 2] if smiles[i] < smile_threshold()]
    best = max(neutral or with_face[:1], key=lambda i: seen[i].face.quality.score)
    encoding, distance = _same_person(seen[best], seen[peak_at])
    extra = {
        "smiles": smiles,
        "rises": rises,
        "frame_difference": difference,
        "same_person_distance": distance,
    }
    if distance > SAME_PERSON_MAX_DISTANCE:
        return _fail("person_changed", best=best, **extra)
    # How many times its threshold the strongest rise is (NaN: that measure is missing).
    ratios = [rises[name] / limit for name, limit in RISE_THRESHOLDS.items()]
    strength = max((r for r in ratios if np.isfinite(r)), default=0.0)
    if strength < 1.0:
        reason = "smiling_from_start" if start >= smile_threshold() else "no_smile"
        return _fail(reason, best=best, **extra)
    score = 0.5 + 0.5 * float(np.clip(strength - 1.0, 0.0, 1.0))
    return LivenessResult(True, score, "ok", best, encoding=encoding, **extra)


def _same_person(neutral: _Frame, smiling: _Frame) -> tuple[np.ndarray, float]:
    """The neutral frame's engine encoding, and the dlib distance to the smiling face's.

    Both faces get the calibrated (flip-averaged) dlib encoding: four network passes in
    one batch, as many as a plain pass of each plus the neutral one's calibrated encoding,
    and it tells two people apart better than the single passes. The same-person rule is
    calibrated on dlib distances, whatever second encoder is configured; the neutral
    face's encoding is then completed with the second encoder (for the search)."""
    neutral_dlib, smiling_dlib = encode_chips([neutral.face.chip, smiling.face.chip])
    distance = float(np.linalg.norm(neutral_dlib - smiling_dlib))
    encoding = complete(neutral.rgb, neutral.face.landmarks, neutral_dlib, current())
    return encoding, distance
