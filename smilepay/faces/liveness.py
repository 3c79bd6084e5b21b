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
``no_smile``           no smile appears where the challenge asks for one
``not_relaxed``        the smile does not fade where the challenge asks to relax
``ok``                 passed
=====================  ===============================================================

The frames follow a challenge (``smilepay.faces.challenge``): ``expressions`` says, per
frame, whether it was taken while the customer was asked to look neutral or to smile;
without it the first half is neutral and the second half smiles. A smile "appears" at
each neutral-to-smile step when the smiling frames differ from the neutral ones, for this
person, by clearly more than a held-up photo's camera noise in any of three measures:
the smile model's logit, the mouth's width and how far its corners lift (the last two
from the Face Mesh landmarks, in units of the eye distance); at a smile-to-neutral step
it must fade by as much. Comparing the person with
themselves, rather than each frame with a population threshold, is what lets a subtle
smile pass while a photo of a broad smile, which never changes, fails.

Up to a quarter of the frames may miss a face (a blink, motion blur, the head turning).
Only two frames are encoded: the best neutral frame with the calibrated flip-averaged
encoding (returned as ``encoding`` so a recognition does not encode again) and the
strongest smile without its mirror image (only compared: the same-person rule here, the
look-alike check after a match).
Thresholds are module constants, measured in docs/faces-liveness.md.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from .api import analyze_rgb
from .challenge import NEUTRAL, SMILE, default_expressions
from .config import current
from .encode import combine, descriptors
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
# Same person across the burst: distance between the neutral face's calibrated dlib
# encoding and the smiling face's single-pass one, at most the configuration's
# ``same_person_max_distance`` (calibrations.json). dlib's 0.39, tuning half (benchmarks/
# liveness_accuracy.py --half tuning --only genuine,person_changed): genuine bursts
# (expression changed) 0.31 median, 0.45 max; a different person 0.397 at the lowest,
# 0.45 at the 5th percentile. Chosen like the look-alike factor: among the limits letting
# at most 1% of swaps through, the fewest genuine refusals, on a tie the fewer swaps:
# 0.39 lets 0 of 138 through and refuses 3 of 116 genuine bursts (0.40: 1 and 3). With
# the stronger fused encoder the look-alike check stops swaps on its own and the limit is
# 0.45 (benchmarks/lookalike_check.py's sweep). The payment itself still needs the
# calibrated 1:N or 1:1 match.


def same_person_limit() -> float:
    return current().same_person_max_distance


# The strongest smile is encoded without its mirror image (one ResNet pass, not two): it is
# only compared, never searched. False: both thresholds that compare it (above, and the
# look-alike factor) were measured on that single-pass encoding.
SMILE_FLIP = False


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
    # The largest face of each frame (None where none was found), so that the caller's
    # presentation-attack check need not detect again; not for serialising.
    faces: tuple[Face | None, ...] = field(default=(), repr=False)
    # The strongest smile's calibrated encoding (the look-alike check compares it with the
    # matched customer's template). Both encodings are also set on a failure that got as
    # far as the smile rules, so that a failed attempt can still name whose face it was.
    smile_encoding: np.ndarray | None = field(default=None, repr=False)
    # Each frame decoded (RGB), so that presentation-attack detection scores the same
    # pixels without decoding them again; not for serialising.
    frames_rgb: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)


@dataclass
class _Frame:
    rgb: np.ndarray
    face: Face | None
    second_face: Face | None
    mouth: np.ndarray | None = None  # MouthShape.as_array() of the first face


def _fail(reason: str, *, best: int = -1, smiles=(), **extra) -> LivenessResult:
    return LivenessResult(False, 0.0, reason, best, smiles=tuple(smiles), **extra)


def liveness(
    frames: Sequence[ImageInput], *, expressions: Sequence[str] | None = None
) -> LivenessResult:
    """Decide whether a burst shows one live person whose face changes as prompted.

    ``frames``: capture order; bytes (JPEG/PNG/WebP), PIL images or RGB arrays.
    ``expressions``: per frame, ``"neutral"`` or ``"smile"`` as the challenge asked
    (``Challenge.expressions()``); default: the first half neutral, then smiling.
    Raises :class:`~smilepay.faces.errors.FaceImageError` if a frame is not an image.
    """
    if len(frames) < MIN_FRAMES:
        return _fail("too_few_frames")
    expected = list(expressions) if expressions is not None else default_expressions(len(frames))
    if len(expected) != len(frames) or set(expected) != {NEUTRAL, SMILE}:
        raise ValueError("expressions must name neutral or smile for every frame, both asked")
    seen = [_look(decode_image(frame)) for frame in frames]
    return replace(_judge(seen, expected), frames_rgb=tuple(f.rgb for f in seen))


def _judge(seen: list[_Frame], expected: list[str]) -> LivenessResult:
    faces = tuple(f.face for f in seen)
    with_face = [i for i, f in enumerate(seen) if f.face is not None]
    smiles = tuple(f.face.smile if f.face else float("nan") for f in seen)
    if len(with_face) < max(MIN_FRAMES, MIN_FACE_SHARE * len(seen)) or not all(
        any(expected[i] == e for i in with_face) for e in set(expected)
    ):
        return _fail("no_face", smiles=smiles, faces=faces)
    if any(_crowded(f) for f in seen):
        return _fail("multiple_faces", smiles=smiles, faces=faces)
    difference = _frame_difference([seen[i] for i in with_face])
    if difference < STATIC_MAX_DIFF:
        return _fail("static_frames", smiles=smiles, frame_difference=difference, faces=faces)
    return _judge_smile(seen, with_face, smiles, difference, expected)


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


def _segments(expected: list[str]) -> list[tuple[str, list[int]]]:
    """Runs of frames asked for the same expression: [(expression, indices), ...]."""
    runs: list[tuple[str, list[int]]] = []
    for index, expression in enumerate(expected):
        if runs and runs[-1][0] == expression:
            runs[-1][1].append(index)
        else:
            runs.append((expression, [index]))
    return runs


def _measures(seen: list[_Frame]) -> np.ndarray:
    """Per frame: smile logit, mouth width, corner lift (NaN where unknown)."""
    rows = []
    for frame in seen:
        if frame.face is None:
            rows.append([np.nan] * 3)
            continue
        mouth = frame.mouth if frame.mouth is not None else [np.nan] * 3
        rows.append([_logit(np.array([frame.face.smile]))[0], mouth[0], mouth[1]])
    return np.array(rows, dtype=np.float64)


def _changes(measures: np.ndarray, expected: list[str], with_face: list[int]):
    """For each step from one expression to the other: the change per measure (later
    minus earlier), signed so that the asked-for change is positive, and its strength
    (the largest change in units of its threshold). Also the neutral level's smile
    probability at the first neutral-to-smile step."""
    present = set(with_face)
    levels = []
    with warnings.catch_warnings():
        # A measure missing in every frame of a step stays NaN and is skipped below.
        warnings.simplefilter("ignore", RuntimeWarning)
        for expression, indices in _segments(expected):
            rows = [i for i in indices if i in present]
            levels.append((expression, np.nanmean(measures[rows], axis=0)))
    steps = []
    for (_, level_a), (after, level_b) in itertools.pairwise(levels):
        sign = 1.0 if after == SMILE else -1.0
        change = sign * (level_b - level_a)
        ratios = [change[k] / limit for k, limit in enumerate(RISE_THRESHOLDS.values())]
        strength = max((r for r in ratios if np.isfinite(r)), default=0.0)
        start_prob = 1 / (1 + np.exp(-level_a[0])) if np.isfinite(level_a[0]) else 0.5
        steps.append((after, change, strength, float(start_prob)))
    return steps


def _logit(probs: np.ndarray) -> np.ndarray:
    p = np.clip(np.nan_to_num(probs, nan=0.5), LOGIT_CLIP, 1 - LOGIT_CLIP)
    return np.log(p / (1 - p))


def _judge_smile(seen, with_face, smiles, difference, expected) -> LivenessResult:
    measures = _measures(seen)
    steps = _changes(measures, expected, with_face)
    neutral_frames = [i for i in with_face if expected[i] == NEUTRAL]
    calm = [i for i in neutral_frames if smiles[i] < smile_threshold()]
    best = max(calm or neutral_frames, key=lambda i: seen[i].face.quality.score)
    smiling_frames = [i for i in with_face if expected[i] == SMILE]
    peak_at = max(smiling_frames, key=lambda i: measures[i, 0])
    encoding, smile_encoding, distance = _same_person(seen[best], seen[peak_at])
    rise = next((change for after, change, _, _ in steps if after == SMILE), None)
    rises = {name: float(v) for name, v in zip(RISE_THRESHOLDS, rise, strict=True)}
    extra = {
        "smiles": smiles,
        "rises": rises,
        "frame_difference": difference,
        "same_person_distance": distance,
        "faces": tuple(f.face for f in seen),
        "encoding": encoding,
        "smile_encoding": smile_encoding,
    }
    if distance > same_person_limit():
        return _fail("person_changed", best=best, **extra)
    for after, _, strength, start_prob in steps:
        if strength < 1.0:
            if after == NEUTRAL:
                reason = "not_relaxed"
            else:
                reason = "smiling_from_start" if start_prob >= smile_threshold() else "no_smile"
            return _fail(reason, best=best, **extra)
    # How many times its threshold the weakest asked-for change is.
    strength = min(step[2] for step in steps)
    score = 0.5 + 0.5 * float(np.clip(strength - 1.0, 0.0, 1.0))
    return LivenessResult(True, score, "ok", best, **extra)


def _same_person(neutral: _Frame, smiling: _Frame) -> tuple[np.ndarray, np.ndarray, float]:
    """Both faces' engine encodings, and the dlib distance between them.

    The neutral face gets the calibrated (flip-averaged) dlib encoding: it is the probe of
    the 1:N search or the 1:1 check. The smiling face is only compared (with the neutral
    one here, with the matched customer's template by the look-alike check), so it is
    encoded without its mirror image (``SMILE_FLIP``): three network passes in one batch
    instead of four, about 70 ms of a burst; the thresholds of both comparisons were
    measured on that encoding (docs/faces-liveness.md). The same-person rule is
    calibrated on dlib distances, whatever second encoder is configured; both encodings
    are then completed with the second encoder: the neutral one for the search, the
    smiling one for the look-alike check."""
    chips = [neutral.face.chip, np.ascontiguousarray(neutral.face.chip[:, ::-1])]
    chips.append(smiling.face.chip)
    if SMILE_FLIP:
        chips.append(np.ascontiguousarray(smiling.face.chip[:, ::-1]))
    raw = descriptors(chips)
    neutral_dlib = combine(raw[0], raw[1])
    smiling_dlib = combine(raw[2], raw[3] if SMILE_FLIP else None)
    distance = float(np.linalg.norm(neutral_dlib - smiling_dlib))
    config = current()
    neutral_at = (neutral.face.box, neutral.face.landmarks)
    smiling_at = (smiling.face.box, smiling.face.landmarks)
    neutral_encoding = complete(neutral.rgb, neutral_at, neutral_dlib, config)
    smiling_encoding = complete(smiling.rgb, smiling_at, smiling_dlib, config)
    return neutral_encoding, smiling_encoding, distance
