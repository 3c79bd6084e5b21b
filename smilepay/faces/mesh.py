"""Dense face landmarks for the smile's geometry: MediaPipe's Face Mesh model.

The 5-point dlib model knows nothing of the mouth, and dlib's 68-point model may not be
used commercially (docs/models.md). MediaPipe's Face Mesh landmark network (Apache-2.0,
``face_landmark.tflite``, 1.2 MB, shipped inside the ``mediapipe`` wheel, which we
install ``--no-deps`` only for that file) gives 468 points, the lip contour among them,
in about 1 ms per face with the LiteRT interpreter (``ai-edge-litert``).

The network expects a 192x192 crop around the face, upright (eyes level) and with
margin: we build it from the dlib box and the 5-point eye centres, as MediaPipe builds
it from its own detector (box scaled by 1.5, rotated by the eye line).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .types import Box, Landmarks

MODEL_ENV = "SMILEPAY_FACE_MESH_MODEL"
INPUT_SIZE = 192
ROI_SCALE = 1.5

# Mesh indices (MediaPipe's canonical face topology).
MOUTH_LEFT, MOUTH_RIGHT = 61, 291
LIP_UPPER_INNER, LIP_LOWER_INNER = 13, 14
LIP_UPPER_OUTER, LIP_LOWER_OUTER = 0, 17
EYE_OUTER_LEFT, EYE_OUTER_RIGHT = 33, 263
NOSE_TIP = 1
# Each eye's contour; 33's eye is on the image's left in an unmirrored photo.
EYE_CONTOUR_LEFT = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
EYE_CONTOUR_RIGHT = (
    263,
    249,
    390,
    373,
    374,
    380,
    381,
    382,
    362,
    398,
    384,
    385,
    386,
    387,
    388,
    466,
)

_lock = threading.Lock()


def model_path() -> Path:
    """``face_landmark.tflite`` inside the installed mediapipe package (not imported:
    its ``__init__`` needs OpenCV, which the engine does not use)."""
    override = os.environ.get(MODEL_ENV)
    if override:
        return Path(override)
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("mediapipe is not installed (pip install --no-deps mediapipe)")
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "modules" / "face_landmark" / "face_landmark.tflite"


@functools.cache
def _interpreter():
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model_path()), num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def _eye_centres(landmarks: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    eyes = [
        np.mean(np.asarray(landmarks["left_eye"], float), axis=0),
        np.mean(np.asarray(landmarks["right_eye"], float), axis=0),
    ]
    eyes.sort(key=lambda p: p[0])
    return eyes[0], eyes[1]


def _roi_transform(box: Box, landmarks: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    """Affine (A, t) mapping crop pixels (u, v) to image pixels: A @ (u, v) + t."""
    top, right, bottom, left = box
    left_eye, right_eye = _eye_centres(landmarks)
    angle = np.arctan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0])
    side = ROI_SCALE * max(right - left, bottom - top)
    k = side / INPUT_SIZE
    c, s = np.cos(angle) * k, np.sin(angle) * k
    a = np.array([[c, -s], [s, c]])
    centre = np.array([(left + right) / 2, (top + bottom) / 2])
    return a, centre - a @ np.array([INPUT_SIZE / 2, INPUT_SIZE / 2])


def _crop(rgb: np.ndarray, box: Box, landmarks: Landmarks):
    a, t = _roi_transform(box, landmarks)
    crop = Image.fromarray(rgb).transform(
        (INPUT_SIZE, INPUT_SIZE),
        Image.Transform.AFFINE,
        (a[0, 0], a[0, 1], t[0], a[1, 0], a[1, 1], t[1]),
        resample=Image.Resampling.BILINEAR,
    )
    return np.asarray(crop, dtype=np.float32) / 255.0, a, t


def _points(crop: np.ndarray) -> np.ndarray:
    """(468, 2) points in crop pixels."""
    with _lock:
        interpreter = _interpreter()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], crop[None])
        interpreter.invoke()
        out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return out.reshape(-1, 3)[:, :2]


def face_mesh(*, rgb: np.ndarray, box: Box, landmarks: Landmarks) -> np.ndarray:
    """(468, 2) float32 landmark positions in image pixels for the face at ``box``."""
    crop, a, t = _crop(rgb, box, landmarks)
    return (_points(crop) @ a.T + t).astype(np.float32)


def arcface_points(points: np.ndarray) -> np.ndarray:
    """The five points a recognition network's crop is aligned by (5, 2), in the ArcFace
    template's order: image-left eye centre, image-right eye centre, nose tip, image-left
    mouth corner, image-right mouth corner. An eye's centre is its contour's mean."""
    return np.array(
        [
            points[list(EYE_CONTOUR_LEFT)].mean(0),
            points[list(EYE_CONTOUR_RIGHT)].mean(0),
            points[NOSE_TIP],
            points[MOUTH_LEFT],
            points[MOUTH_RIGHT],
        ],
        dtype=np.float64,
    )


# Also run the network on the face's mirror image and average the two shapes? The
# measures are mirror-symmetric, so a second run only lowers landmark noise: off since
# 2026-12-07 (2 ms a frame). Without it the largest width and lift rises of held-up photo
# bursts grew from 0.016 / 0.009 to 0.021 / 0.008, a third of the rise thresholds
# (liveness.RISE_THRESHOLDS), and the tuning half's genuine bursts passed 109 of 125
# instead of 108 (docs/faces-liveness.md).
MIRROR = False


def mouth_of(*, rgb: np.ndarray, box: Box, landmarks: Landmarks) -> MouthShape:
    """The mouth's shape (averaged with its mirror image's when ``MIRROR``)."""
    crop, _, _ = _crop(rgb, box, landmarks)
    shapes = [mouth_shape(_points(crop)).as_array()]
    if MIRROR:
        shapes.append(mouth_shape(_points(np.ascontiguousarray(crop[:, ::-1]))).as_array())
    width, lift, opening = np.mean(shapes, axis=0)
    return MouthShape(width=float(width), corner_lift=float(lift), opening=float(opening))


@dataclass(frozen=True)
class MouthShape:
    """Mouth geometry in units of the outer eye-corner distance, in the face's frame
    (eye line horizontal), so it does not change with distance to the camera or roll."""

    width: float  # corner to corner
    corner_lift: float  # how far the corners sit above the lip centre line (smile > 0)
    opening: float  # inner lips apart

    def as_array(self) -> np.ndarray:
        return np.array([self.width, self.corner_lift, self.opening], dtype=np.float32)


def canonical(points: np.ndarray) -> np.ndarray:
    """Mesh points in the face frame: origin at the eye-corner midpoint, x along the eye
    line, unit = outer eye-corner distance."""
    left, right = points[EYE_OUTER_LEFT], points[EYE_OUTER_RIGHT]
    axis = right - left
    scale = float(np.hypot(*axis))
    if not np.isfinite(scale) or scale < 1e-3:
        raise ValueError("degenerate mesh")
    c, s = axis / scale
    rot = np.array([[c, s], [-s, c]])
    return ((points - (left + right) / 2) @ rot.T / scale).astype(np.float32)


def mouth_shape(points: np.ndarray) -> MouthShape:
    p = canonical(points)
    corners_y = (p[MOUTH_LEFT, 1] + p[MOUTH_RIGHT, 1]) / 2
    centre_y = (p[LIP_UPPER_OUTER, 1] + p[LIP_LOWER_OUTER, 1]) / 2
    return MouthShape(
        width=float(np.hypot(*(p[MOUTH_RIGHT] - p[MOUTH_LEFT]))),
        corner_lift=float(centre_y - corners_y),
        opening=float(np.hypot(*(p[LIP_LOWER_INNER] - p[LIP_UPPER_INNER]))),
    )
