"""Face detection: MediaPipe's BlazeFace network by default, dlib's HOG detector as the
fallback and the alternative (``SMILEPAY_FACE_DETECTOR=hog``).

BlazeFace (``blazeface.py``, Apache-2.0) sees the whole picture at 128x128 in about 1 ms,
where HOG scans a 480 px copy in about 16 ms. Its boxes are mapped to the box dlib's HOG
detector would draw (``HOG_BOX_FROM_BLAZEFACE``, fitted on the lfw-dev tuning half by
``python -m smilepay.faces.lab.detector_fit``), because dlib's 5-point landmark predictor
was trained on HOG boxes. HOG still runs when BlazeFace finds no face, or only faces
smaller than ``RELIABLE_SIDE`` of the picture's long side (BlazeFace's short-range model
is made for faces near the camera; a group photo's small faces need the scan), and its
faces that BlazeFace did not find are added.

HOG upsampling policy (why: the HOG detector's window is 80x80 px, so it misses faces
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
from . import blazeface
from .imaging import resize_rgb

DETECTORS = ("blazeface", "hog")
# BlazeFace box (centre cx, cy and width w) -> the square box HOG would draw: centre
# (cx + dx * w, cy + dy * w), side ``side * w``. Medians over the lfw-dev tuning half's
# faces found by both (``lab/detector_fit.py`` prints them).
HOG_BOX_FROM_BLAZEFACE = {"dx": -0.0308, "dy": -0.0571, "side": 1.0092}
# BlazeFace scores below this are not faces: MediaPipe's own default, 0.5, found a face in
# the White House seal behind a speaker (0.71); at 0.75 not one labelled lfw-dev face is
# lost (detector_fit, both halves).
MIN_SCORE = 0.75
# Faces whose box side is at least this share of the long side are BlazeFace's own;
# below it HOG scans too.
RELIABLE_SIDE = 0.2
OVERLAP = 0.3  # IoU above which a HOG face is one BlazeFace already found
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
    method: str | None = None,
    upsample: int | None = None,
    long_side: int = DETECT_LONG_SIDE,
    adjust_threshold: float = 0.0,
) -> list[Detection]:
    """All faces in ``rgb`` (RGB uint8), largest first, boxes in input pixels.

    ``method``: 'blazeface' (with the HOG fallback above) or 'hog'; default: the
    configured detector (``SMILEPAY_FACE_DETECTOR``). ``upsample`` and
    ``adjust_threshold`` (< 0: more permissive, more false detections; the calibration
    uses it as a second chance on LFW crops) are HOG's and imply it.
    """
    if method is None:
        from .config import current

        method = current().detector
    if method not in DETECTORS:
        raise ValueError(f"unknown face detector {method!r}; use one of {DETECTORS}")
    if method == "hog" or upsample is not None or adjust_threshold != 0.0:
        return hog(rgb, upsample=upsample, long_side=long_side, adjust_threshold=adjust_threshold)
    found = blazeface_faces(rgb)
    h, w = rgb.shape[:2]
    if not found or max(d.right - d.left for d in found) < RELIABLE_SIDE * max(h, w):
        known = [_corners(d) for d in found]
        found += [d for d in hog(rgb) if all(_iou(_corners(d), k) < OVERLAP for k in known)]
        found.sort(key=lambda d: d.area, reverse=True)
    return found


def _corners(d: Detection) -> tuple[int, int, int, int]:
    return (d.top, d.right, d.bottom, d.left)


def _iou(a, b) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, bottom - top) * max(0, right - left)
    area = (a[2] - a[0]) * (a[1] - a[3]) + (b[2] - b[0]) * (b[1] - b[3]) - inter
    return inter / area if area > 0 else 0.0


def hog_box_from_blazeface(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(top, right, bottom, left) of the square box HOG would draw for this BlazeFace box
    (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = box
    width = x2 - x1
    cx = (x1 + x2) / 2 + HOG_BOX_FROM_BLAZEFACE["dx"] * width
    cy = (y1 + y2) / 2 + HOG_BOX_FROM_BLAZEFACE["dy"] * width
    half = HOG_BOX_FROM_BLAZEFACE["side"] * width / 2
    return (round(cy - half), round(cx + half), round(cy + half), round(cx - half))


def blazeface_faces(rgb: np.ndarray, *, min_score: float = MIN_SCORE) -> list[Detection]:
    """BlazeFace's faces with HOG-like boxes, largest first."""
    dets = [
        Detection(*hog_box_from_blazeface(f.box), score=f.score)
        for f in blazeface.detect(rgb, min_score=min_score)
    ]
    dets.sort(key=lambda d: d.area, reverse=True)
    return dets


def hog(
    rgb: np.ndarray,
    *,
    upsample: int | None = None,
    long_side: int = DETECT_LONG_SIDE,
    adjust_threshold: float = 0.0,
) -> list[Detection]:
    """dlib's HOG detector with the upsampling policy above, largest first."""
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
    return landmarks_from_points([(p.x, p.y) for p in shape.parts()])


def landmarks_from_points(points) -> dict[str, list[tuple[int, int]]]:
    """``landmarks_dict`` from dlib's 5 points as (x, y) pairs in dlib's order (e.g. the
    (5, 2) arrays the research tools cache)."""
    pts = [(int(x), int(y)) for x, y in points]
    return {"left_eye": [pts[2], pts[3]], "right_eye": [pts[0], pts[1]], "nose_tip": [pts[4]]}


def points(shape: dlib.full_object_detection) -> np.ndarray:
    """The 5 landmarks as a (5, 2) float array, dlib's order."""
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
