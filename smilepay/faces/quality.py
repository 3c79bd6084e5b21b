"""Per-face quality: size, sharpness, exposure, pose, and the reasons to refuse.

Thresholds (enroll is stricter than pay because a bad template hurts every later
payment, while a bad payment frame only costs a retry):

| measure | enroll refuses when | pay refuses when | reason |
|---|---|---|---|
| face size (shorter box side, input px) | < 80 | < 50 | too_small |
| sharpness (Laplacian variance, 128 px grey crop) | < 30 | < 12 | blurry |
| brightness (mean grey) | < 60 / > 200 | < 40 / > 220 | too_dark / too_bright |
| contrast (grey std) | < 25 | < 15 | low_contrast |
| roll (eye-line angle) | > 20 deg | > 35 deg | not_frontal |
| yaw (nose offset / eye distance) | > 0.25 | > 0.40 | not_frontal |
| box cut by the border | > 5% of the side | > 20% of the side | partial |

The sharpness bars were set on the face_recognition example photos and LFW crops:
sharp 480p-1080p portraits score 200-600, LFW's soft 250 px crops 17-110 (median 46);
a Gaussian blur of radius 2 px on the 480p portrait drops it to 12, radius 3 to 4.
``score`` is a product of soft factors, 1 for an ideal face.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .types import Box, Landmarks, Quality

ENROLL = {
    "size": 80,
    "sharpness": 30.0,
    "dark": 60.0,
    "bright": 200.0,
    "contrast": 25.0,
    "roll": 20.0,
    "yaw": 0.25,
    "partial": 0.05,
}
PAY = {
    "size": 50,
    "sharpness": 12.0,
    "dark": 40.0,
    "bright": 220.0,
    "contrast": 15.0,
    "roll": 35.0,
    "yaw": 0.40,
    "partial": 0.20,
}
CROP = 128


def _grey_crop(rgb: np.ndarray, box: Box) -> np.ndarray:
    top, right, bottom, left = box
    crop = rgb[top:bottom, left:right]
    if crop.size == 0:
        return np.zeros((CROP, CROP), dtype=np.float32)
    img = Image.fromarray(crop).convert("L").resize((CROP, CROP), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


def pose(landmarks: Landmarks) -> tuple[float, float]:
    """(roll degrees, yaw proxy) from the 5-point landmarks."""
    le = np.mean(landmarks["left_eye"], axis=0)
    re = np.mean(landmarks["right_eye"], axis=0)
    nose = np.asarray(landmarks["nose_tip"][0], dtype=np.float64)
    # face_recognition's "left_eye" is the one on the image's left; run the eye line
    # left to right so an upright face has roll 0.
    dx, dy = re - le
    eye_dist = math.hypot(dx, dy) or 1.0
    roll = math.degrees(math.atan2(dy, dx))
    mid = (le + re) / 2.0
    # Project the nose offset on the eye-line direction: 0 when the head faces the camera.
    yaw = float(((nose - mid) @ np.array([dx, dy])) / (eye_dist * eye_dist))
    return roll, yaw


def _cut_fraction(raw: Box, height: int, width: int) -> float:
    top, right, bottom, left = raw
    side = max(1, min(bottom - top, right - left))
    cut = max(0, -top, -left, bottom - height, right - width)
    return cut / side


def _reasons(m: dict, bar: dict) -> tuple[str, ...]:
    out = []
    if m["size"] < bar["size"]:
        out.append("too_small")
    if m["sharpness"] < bar["sharpness"]:
        out.append("blurry")
    if m["brightness"] < bar["dark"]:
        out.append("too_dark")
    if m["brightness"] > bar["bright"]:
        out.append("too_bright")
    if m["contrast"] < bar["contrast"]:
        out.append("low_contrast")
    if abs(m["roll"]) > bar["roll"] or abs(m["yaw"]) > bar["yaw"]:
        out.append("not_frontal")
    if m["cut"] > bar["partial"]:
        out.append("partial")
    return tuple(out)


def _ramp(value: float, bad: float, good: float) -> float:
    """0 at ``bad``, 1 at ``good``, linear between (either direction)."""
    if good == bad:
        return 1.0
    return float(min(1.0, max(0.0, (value - bad) / (good - bad))))


def assess(*, rgb: np.ndarray, box: Box, raw_box: Box, landmarks: Landmarks) -> Quality:
    """Quality of the face at ``box`` (clipped) / ``raw_box`` (as detected)."""
    h, w = rgb.shape[:2]
    grey = _grey_crop(rgb, box)
    top, right, bottom, left = box
    roll, yaw = pose(landmarks)
    m = {
        "size": min(bottom - top, right - left),
        "sharpness": laplacian_variance(grey),
        "brightness": float(grey.mean()),
        "contrast": float(grey.std()),
        "roll": roll,
        "yaw": yaw,
        "cut": _cut_fraction(raw_box, h, w),
    }
    score = (
        _ramp(m["size"], 30, 120)
        * _ramp(m["sharpness"], 5, 60)
        * min(_ramp(m["brightness"], 25, 80), _ramp(m["brightness"], 235, 180))
        * _ramp(m["contrast"], 8, 35)
        * _ramp(abs(roll), 45, 10)
        * _ramp(abs(yaw), 0.5, 0.1)
        * _ramp(m["cut"], 0.3, 0.0)
    )
    return Quality(
        score=round(score, 4),
        size=int(m["size"]),
        sharpness=round(m["sharpness"], 2),
        brightness=round(m["brightness"], 2),
        contrast=round(m["contrast"], 2),
        roll=round(roll, 2),
        yaw=round(yaw, 4),
        partial=m["cut"] > ENROLL["partial"],
        reasons=_reasons(m, ENROLL),
        pay_reasons=_reasons(m, PAY),
    )
