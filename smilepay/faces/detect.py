"""Face detection with dlib's HOG detector, tuned for speed.

Upsampling policy (why: the HOG detector's window is 80x80 px, so it misses faces
smaller than ~80 px in the image it scans):

* Large images are scanned on a copy whose long side is ``DETECT_LONG_SIDE`` (480 px).
  Kiosk and phone faces fill a good part of the frame, so this costs nothing in recall
  and is 4-10x faster than scanning 720p/1080p frames.
* Small images (long side <= 300 px, e.g. 250x250 LFW crops or 64-250 px thumbnails)
  are upsampled once by dlib (x2); tiny ones (long side <= 150 px) twice (x4), so a face
  filling a 64 px image is still 80+ px to the detector.
* If nothing is found on a downscaled copy at upsample 0, the copy is scanned once more
  with upsample 1, which finds faces down to ~40 px of the 480 px copy.

Boxes are mapped back to input pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import dlib
import numpy as np

from . import _models as models
from .imaging import resize_rgb

DETECT_LONG_SIDE = 480
SMALL_LONG_SIDE = 300
TINY_LONG_SIDE = 150


@dataclass(frozen=True)
class Detection:
    # Unclipped box in input pixels (may extend past the border for partial faces).
    top: int
    right: int
    bottom: int
    left: int
    score: float

    @property
    def area(self) -> int:
        return max(0, self.bottom - self.top) * max(0, self.right - self.left)


def upsample_for(long_side: int) -> int:
    """Upsample count for an image whose long side is ``long_side`` px."""
    if long_side <= TINY_LONG_SIDE:
        return 2
    if long_side <= SMALL_LONG_SIDE:
        return 1
    return 0


def _run(img: np.ndarray, upsample: int, adjust: float = 0.0) -> list[tuple[dlib.rectangle, float]]:
    with models.DETECT_LOCK:
        rects, scores, _ = models.detector().run(img, upsample, adjust)
    return list(zip(rects, scores, strict=True))


def detect(
    rgb: np.ndarray,
    *,
    upsample: int | None = None,
    long_side: int = DETECT_LONG_SIDE,
    adjust_threshold: float = 0.0,
) -> list[Detection]:
    """All faces in ``rgb`` (RGB uint8), largest first, boxes in input pixels.

    ``adjust_threshold`` < 0 makes the detector more permissive (more faces, more false
    detections); the calibration uses it as a second chance on LFW crops.
    """
    h, w = rgb.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    work = resize_rgb(rgb, scale) if scale < 1.0 else rgb
    if upsample is None:
        up = upsample_for(max(work.shape[:2]))
        found = _run(work, up, adjust_threshold)
        if not found and up == 0:
            found = _run(work, 1, adjust_threshold)
    else:
        found = _run(work, upsample, adjust_threshold)
    sy = h / work.shape[0]
    sx = w / work.shape[1]
    dets = [
        Detection(
            top=round(r.top() * sy),
            right=round((r.right() + 1) * sx),
            bottom=round((r.bottom() + 1) * sy),
            left=round(r.left() * sx),
            score=float(s),
        )
        for r, s in found
    ]
    dets.sort(key=lambda d: d.area, reverse=True)
    return dets


def clip_box(det: Detection, height: int, width: int) -> tuple[int, int, int, int]:
    """(top, right, bottom, left) limited to the image."""
    return (
        max(det.top, 0),
        min(det.right, width),
        min(det.bottom, height),
        max(det.left, 0),
    )


def landmarks5(rgb: np.ndarray, det: Detection) -> dlib.full_object_detection:
    """5-point landmarks (commercially usable model) on the full-resolution image."""
    rect = dlib.rectangle(det.left, det.top, det.right - 1, det.bottom - 1)
    with models.SHAPE_LOCK:
        return models.shape_predictor()(rgb, rect)


def landmarks_dict(shape: dlib.full_object_detection) -> dict[str, list[tuple[int, int]]]:
    """Same keys and point order as face_recognition.face_landmarks(model='small')."""
    pts = [(int(p.x), int(p.y)) for p in shape.parts()]
    return {"left_eye": [pts[2], pts[3]], "right_eye": [pts[0], pts[1]], "nose_tip": [pts[4]]}
