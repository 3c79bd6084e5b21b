"""Smile score for one detected face: 0 (neutral) .. 1 (smiling).

Default path (commercially usable models only): the face is aligned with the dlib
5-point landmarks (eye centres + nose base, similarity transform) onto a small
greyscale chip, described by a HOG of the chip, and scored by a small numpy MLP
trained on SMILEsmileD (``python -m smilepay.faces.lab.train_smile``). Weights live in
``models/smile_hog_mlp.npz``; the runtime needs numpy and Pillow only.

Opt-in comparison baseline (``SMILEPAY_SMILE_MODEL=landmarks68``): the mouth-width
rule on dlib's 68-point landmarks. That model is licensed for NON-COMMERCIAL use
only (iBUG 300-W), so it is never used unless explicitly asked for.

This module imports nothing from Django.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from .config import current

MODEL_PATH = Path(__file__).with_name("models") / "smile_hog_mlp.npz"

# Canonical chip geometry, in units of the inter-eye distance d, origin at the eye
# midpoint. The nose base (dlib 5-point landmark 4) sits ~0.74 d below the eye line
# on LFW; fitting all three points makes the mouth position robust to pitch.
CHIP_W, CHIP_H = 48, 54
PX_PER_D = 22.0
EYE_MID = (24.0, 14.0)
NOSE_Y_D = 0.74
CELL = 6
N_BINS = 9

Landmarks = dict[str, list[tuple[int, int]]]


def _canonical_points() -> np.ndarray:
    cx, cy = EYE_MID
    half = 0.5 * PX_PER_D
    return np.array([[cx - half, cy], [cx + half, cy], [cx, cy + NOSE_Y_D * PX_PER_D]])


def _source_points(landmarks: Landmarks) -> np.ndarray:
    eyes = [
        np.mean(np.asarray(landmarks["left_eye"], float), axis=0),
        np.mean(np.asarray(landmarks["right_eye"], float), axis=0),
    ]
    # dlib names eyes from the subject's side; the chip wants image-left first.
    eyes.sort(key=lambda p: p[0])
    nose = np.asarray(landmarks["nose_tip"], float).reshape(-1, 2)[0]
    return np.array([eyes[0], eyes[1], nose])


def _similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, float, float, float]:
    """Least-squares similarity dst ~ [[a,-b],[b,a]] @ src + t; returns (a, b, tx, ty)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows += [[x, -y, 1.0, 0.0], [y, x, 0.0, 1.0]]
        rhs += [u, v]
    sol, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    return tuple(float(s) for s in sol)  # type: ignore[return-value]


def align_chip(rgb: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """The face warped onto the canonical CHIP_H x CHIP_W greyscale chip (float32)."""
    src = _source_points(landmarks)
    eye_d = float(np.linalg.norm(src[1] - src[0]))
    if not np.isfinite(eye_d) or eye_d < 2:
        raise ValueError("degenerate landmarks")
    # Crop a generous region first, so the warp touches few pixels and large faces can
    # be shrunk with an antialiasing filter (a bare affine resample would alias).
    mid = (src[0] + src[1]) / 2
    h, w = rgb.shape[:2]
    x0 = int(max(0, np.floor(mid[0] - 2.2 * eye_d)))
    x1 = int(min(w, np.ceil(mid[0] + 2.2 * eye_d)))
    y0 = int(max(0, np.floor(mid[1] - 1.6 * eye_d)))
    y1 = int(min(h, np.ceil(mid[1] + 2.8 * eye_d)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise ValueError("face outside the image")
    crop = rgb[y0:y1, x0:x1]
    img = Image.fromarray(crop).convert("L") if crop.ndim == 3 else Image.fromarray(crop)
    shrink = max(1.0, eye_d / (PX_PER_D * 1.5))
    if shrink > 1.0:
        size = (max(1, round(img.width / shrink)), max(1, round(img.height / shrink)))
        img = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    src_local = (src - [x0, y0]) * [img.width / (x1 - x0), img.height / (y1 - y0)]
    # PIL's affine maps output -> input, so fit the inverse transform directly.
    a, b, tx, ty = _similarity(_canonical_points(), src_local)
    chip = img.transform(
        (CHIP_W, CHIP_H),
        Image.Transform.AFFINE,
        (a, -b, tx, b, a, ty),
        resample=Image.Resampling.BILINEAR,
    )
    return np.asarray(chip, dtype=np.float32)


def hog(chip: np.ndarray, cell: int = CELL, bins: int = N_BINS) -> np.ndarray:
    """Dalal-Triggs HOG: unsigned gradients, cell histograms, 2x2-block L2-Hys norm."""
    g = chip.astype(np.float32)
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
    gy[1:-1, :] = g[2:, :] - g[:-2, :]
    mag = np.hypot(gx, gy)
    ang = np.mod(np.arctan2(gy, gx), np.pi) * (bins / np.pi)
    lo = np.floor(ang).astype(np.int64)
    frac = ang - lo
    lo %= bins
    hi = (lo + 1) % bins
    ch, cw = g.shape[0] // cell, g.shape[1] // cell
    cy = np.minimum(np.arange(g.shape[0]) // cell, ch - 1)
    cx = np.minimum(np.arange(g.shape[1]) // cell, cw - 1)
    cell_idx = (cy[:, None] * cw + cx[None, :]).ravel()
    # One bincount over both bins of every pixel: the same sums as np.add.at, ~10x faster.
    index = np.concatenate([cell_idx * bins + lo.ravel(), cell_idx * bins + hi.ravel()])
    weight = np.concatenate([(mag * (1 - frac)).ravel(), (mag * frac).ravel()])
    hist = np.bincount(index, weight, minlength=ch * cw * bins).astype(np.float32)
    hist = hist.reshape(ch, cw, bins)
    blocks = np.concatenate(
        [hist[:-1, :-1], hist[1:, :-1], hist[:-1, 1:], hist[1:, 1:]], axis=2
    ).reshape(ch - 1, cw - 1, 4 * bins)
    blocks = blocks / np.sqrt((blocks**2).sum(-1, keepdims=True) + 1e-3)
    blocks = np.minimum(blocks, 0.2)
    blocks = blocks / np.sqrt((blocks**2).sum(-1, keepdims=True) + 1e-3)
    return blocks.ravel()


def smile_features(*, rgb: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """The chip's feature vector and its mirror image's, stacked (2, dim): the model
    scores both and averages (also used by the training script)."""
    chip = align_chip(rgb, landmarks)
    return np.stack([chip_features(chip), chip_features(np.ascontiguousarray(chip[:, ::-1]))])


def chip_features(chip: np.ndarray) -> np.ndarray:
    """HOG of the whole chip plus a coarse, contrast-normalised view of the lower face."""
    # Local contrast normalisation makes the coarse pixel term lighting-invariant.
    lower = chip[CHIP_H // 2 :, 6:-6]
    small = lower.reshape(lower.shape[0] // 3, 3, lower.shape[1] // 3, 3).mean(axis=(1, 3))
    small = (small - small.mean()) / (small.std() + 1e-3)
    return np.concatenate([hog(chip), 0.1 * small.ravel()]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _load_model(path: str = str(MODEL_PATH)) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def logits(features: np.ndarray) -> np.ndarray:
    """The model's raw output for a (n, dim) or (dim,) feature array."""
    m = _load_model()
    x = (np.atleast_2d(features) - m["mean"]) / m["std"]
    h = np.maximum(x @ m["w1"] + m["b1"], 0.0)
    return (h @ m["w2"] + m["b2"]).ravel()


def score_features(features: np.ndarray, mirrored: np.ndarray | None = None) -> np.ndarray:
    """Smile probability for (n, dim) or (dim,) features; with the mirror images'
    features, the logits of each chip and its mirror are averaged (test-time flip: a
    camera's few pixels of jitter move a single chip's score much more than the pair's)."""
    z = logits(features)
    if mirrored is not None:
        z = (z + logits(mirrored)) / 2
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def smile_threshold() -> float:
    """Score at or above which a single face counts as smiling (the operating point)."""
    return float(_load_model()["threshold"])


def smile_score(
    *,
    rgb: np.ndarray,
    box: tuple[int, int, int, int],
    landmarks: Landmarks,
) -> float:
    """0..1 smile probability of the face at ``box`` with 5-point ``landmarks``."""
    if current().smile_model == "landmarks68":
        return _landmarks68_score(rgb, box)
    try:
        features = smile_features(rgb=rgb, landmarks=landmarks)
    except (KeyError, ValueError, IndexError):
        return 0.0
    return float(score_features(features[0], features[1])[0])


# --- opt-in NON-COMMERCIAL baseline: dlib 68-point landmarks, mouth-width rule -------


@functools.lru_cache(maxsize=1)
def _predictor68():
    import dlib
    import face_recognition_models

    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


def _landmarks68_score(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mouth width / jaw width mapped to 0..1 (NON-COMMERCIAL model, opt-in only)."""
    import dlib

    top, right, bottom, left = box
    shape = _predictor68()(rgb, dlib.rectangle(left, top, right, bottom))
    pts = np.array([(p.x, p.y) for p in shape.parts()], float)
    mouth = np.linalg.norm(pts[54] - pts[48])
    jaw = np.linalg.norm(pts[16] - pts[0]) + 1e-6
    ratio = mouth / jaw
    # Neutral mouths are ~0.36-0.40 of the jaw width, smiles ~0.45+ (LFW).
    return float(1.0 / (1.0 + np.exp(-(ratio - 0.42) * 60.0)))
