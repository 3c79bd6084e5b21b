"""``spoof_check(frames)``: passive presentation-attack detection (PAD) on camera frames.

The smile challenge stops still pictures, but not a neutral photo followed by a smiling
one shown on a phone. PAD looks at the picture itself: minivision's Silent-Face-Anti-
Spoofing networks (MiniFASNet V2 and V1SE, Apache-2.0; vendored ONNX files, licence and
NOTICE in ``models/silent_face/``, listed in docs/models.md) tell a live face from a
printed photo or a screen by the texture, moiré, borders and reflections *around* the
face. So each network sees a crop of the whole camera frame: 2.7x (V2) and 4x (V1SE)
the face box, centred on it and pushed inside the frame, resized to 80x80, BGR 0..255.
Their softmax outputs are averaged; class 1 is "live". Studio portraits and tight crops
score as attacks: judge real 640x480 camera frames only (docs/faces-liveness.md).

The face box is rebuilt from the 5-point landmarks (eye corners, nose base) rather than
taken from the detector, so that a change of face detector does not change the crops
the networks were calibrated on. A few frames of the burst are scored, spread over it
(``SCORED_FRAMES``); the burst's score is their mean live probability, and it is live
when that reaches ``LIVE_THRESHOLD`` (calibrated by ``benchmarks/pad_accuracy.py``).
Each model file's sha256 is checked before it is loaded; onnxruntime runs one thread.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from .imaging import ImageInput, decode_image
from .types import Face, Landmarks

MODELS_DIR = Path(__file__).resolve().parent / "models" / "silent_face"
# (file, crop scale around the face box, sha256 of the file as vendored)
MODELS = (
    (
        "2.7_80x80_MiniFASNetV2.onnx",
        2.7,
        "80220fb410ff8b3ddc2be085e276ad4367655e903f7664796845b2d03e0b14d1",
    ),
    (
        "4_0_0_80x80_MiniFASNetV1SE.onnx",
        4.0,
        "ea863d82ce0da6539b3335a88a82196047264cb478f1dc29e7a033562b7c71cb",
    ),
)
INPUT_SIZE = 80
LIVE_CLASS = 1
# Frames scored per burst, spread evenly from the first to the last.
SCORED_FRAMES = 3
# Mean live probability at or above which a burst is live. Chosen on NUAA webcam bursts
# (leave-one-person-out, docs/faces-liveness.md "Presentation attacks");
# SMILEPAY_PAD_THRESHOLD overrides it.
DEFAULT_LIVE_THRESHOLD = 0.1
# The face box, rebuilt from the landmarks: a square of BOX_EYE_WIDTHS eye-centre
# distances whose centre is BOX_CENTRE_DROP eye distances below the eye midpoint. That is
# dlib's HOG box on NUAA webcam frames (width 2.41 +- 0.22, centre 0.53 +- 0.09 below the
# eyes, 80 frames), on which the threshold was calibrated.
BOX_EYE_WIDTHS = 2.4
BOX_CENTRE_DROP = 0.5

_lock = threading.Lock()


class ModelFileError(RuntimeError):
    """A PAD model file is missing or not the file that was vendored and measured."""


@dataclass(frozen=True)
class SpoofResult:
    live: bool
    score: float  # 0..1, mean live probability of the scored frames; higher = live
    reason: str  # "ok", "presentation_attack", "no_face", "too_few_frames"
    frame_scores: tuple[float, ...] = ()  # per scored frame
    scored_indices: tuple[int, ...] = field(default=(), repr=False)


def live_threshold() -> float:
    """The threshold in force (``SMILEPAY_PAD_THRESHOLD``, read at start-up)."""
    from .config import current

    return current().pad_threshold


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _sessions() -> tuple:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread each: a recognition worker is one process per core.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    sessions = []
    for name, scale, expected in MODELS:
        path = MODELS_DIR / name
        if not path.exists():
            raise ModelFileError(f"PAD model {path} is missing")
        if _sha256(path) != expected:
            raise ModelFileError(f"PAD model {path} does not match its sha256 ({expected})")
        session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        sessions.append((session, scale))
    return tuple(sessions)


def load_models() -> None:
    """Load (and verify) the PAD models now rather than on the first burst."""
    with _lock:
        _sessions()


def face_box(landmarks: Landmarks) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the square face box the PAD networks expect, from the landmarks."""
    eyes = [np.mean(np.asarray(landmarks[k], float), axis=0) for k in ("left_eye", "right_eye")]
    distance = float(np.hypot(*(eyes[1] - eyes[0])))
    centre = (eyes[0] + eyes[1]) / 2
    side = BOX_EYE_WIDTHS * distance
    cx, cy = centre[0], centre[1] + BOX_CENTRE_DROP * distance
    return cx - side / 2, cy - side / 2, side, side


def _crop_box(width: int, height: int, box, scale: float) -> tuple[int, int, int, int]:
    """The networks' own crop rule: ``scale`` times the box, centred on it, shrunk to fit
    the frame and shifted inside it (Silent-Face-Anti-Spoofing's CropImage)."""
    x, y, w, h = box
    scale = min((height - 1) / h, (width - 1) / w, scale)
    new_w, new_h = w * scale, h * scale
    cx, cy = x + w / 2, y + h / 2
    x0, y0, x1, y1 = cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2
    if x0 < 0:
        x1, x0 = x1 - x0, 0
    if y0 < 0:
        y1, y0 = y1 - y0, 0
    if x1 > width - 1:
        x0, x1 = x0 - (x1 - width + 1), width - 1
    if y1 > height - 1:
        y0, y1 = y0 - (y1 - height + 1), height - 1
    return int(x0), int(y0), int(x1), int(y1)


def _resize_linear(img: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize without antialiasing, as the networks were trained (OpenCV's
    INTER_LINEAR); Pillow's bilinear would blur the very texture they look at."""
    h, w = img.shape[:2]
    ys = np.clip((np.arange(size) + 0.5) * h / size - 0.5, 0, h - 1)
    xs = np.clip((np.arange(size) + 0.5) * w / size - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy = (ys - y0).astype(np.float32)[:, None, None]
    fx = (xs - x0).astype(np.float32)[None, :, None]
    rows0, rows1 = img[y0], img[y1]  # index first: only size x size pixels are converted
    top = rows0[:, x0].astype(np.float32) * (1 - fx) + rows0[:, x1] * fx
    bottom = rows1[:, x0].astype(np.float32) * (1 - fx) + rows1[:, x1] * fx
    return top * (1 - fy) + bottom * fy


def _input(rgb: np.ndarray, box, scale: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = _crop_box(width, height, box, scale)
    crop = _resize_linear(rgb[y0 : y1 + 1, x0 : x1 + 1], INPUT_SIZE)
    bgr = crop[:, :, ::-1]  # trained on OpenCV's BGR frames
    return np.ascontiguousarray(bgr.transpose(2, 0, 1)[None], dtype=np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def frame_live_score(rgb: np.ndarray, landmarks: Landmarks) -> float:
    """Live probability (0..1) of one RGB camera frame's face, both networks averaged."""
    box = face_box(landmarks)
    with _lock:
        sessions = _sessions()
        probs = [
            _softmax(session.run(None, {"input": _input(rgb, box, scale)})[0][0])
            for session, scale in sessions
        ]
    return float(np.mean([p[LIVE_CLASS] for p in probs]))


def scored_indices(count: int, scored: int = SCORED_FRAMES) -> list[int]:
    """Which of ``count`` frames to score: ``scored`` of them, first to last."""
    if count <= scored:
        return list(range(count))
    if scored <= 1:
        return [count // 2]
    return sorted({round(i * (count - 1) / (scored - 1)) for i in range(scored)})


def spoof_check(
    frames: Sequence[ImageInput],
    *,
    faces: Sequence[Face | None] | None = None,
    scored: int = SCORED_FRAMES,
) -> SpoofResult:
    """Is the face in this burst live, or a photo / screen held up to the camera?

    ``frames``: capture order; bytes (JPEG/PNG/WebP), PIL images or RGB arrays, as for
    ``liveness``. ``faces``: the largest face of each frame when the caller already has
    it (``LivenessResult.faces``), to spare detecting again; None where none was found.
    Raises :class:`~smilepay.faces.errors.FaceImageError` if a frame is not an image.
    """
    if not frames:
        return SpoofResult(False, 0.0, "too_few_frames")
    from .api import analyze_rgb

    # Score frames with a face, spread over the burst, when the faces are known.
    candidates = (
        [i for i, face in enumerate(faces) if face is not None]
        if faces is not None
        else list(range(len(frames)))
    )
    picks = [candidates[i] for i in scored_indices(len(candidates), scored)]
    scores, used = [], []
    for index in picks:
        rgb = decode_image(frames[index])
        if faces is not None:
            face = faces[index]
        else:
            found = analyze_rgb(rgb, want_encoding=False, want_smile=False, max_faces=1)
            face = found[0] if found else None
        if face is None:
            continue
        scores.append(frame_live_score(rgb, face.landmarks))
        used.append(index)
    if not scores:
        return SpoofResult(False, 0.0, "no_face")
    score = float(np.mean(scores))
    live = score >= live_threshold()
    return SpoofResult(
        live,
        score,
        "ok" if live else "presentation_attack",
        tuple(round(s, 4) for s in scores),
        tuple(used),
    )
