"""Train the default smile model on SMILEsmileD: ``python -m smilepay.faces.lab.train_smile``.

Pipeline (each stage cached in ``.cache/faces/``, delete it to start over):

1. Every 64x64 SMILEsmileD crop is upsampled x4 and run through dlib's HOG detector and
   the 5-point predictor, i.e. the same detector -> landmarks -> ``smile_features`` path
   the kiosk uses at runtime; where no face is found the whole crop is the box.
2. Every lfw-dev image gets the same treatment, and is matched to its SMILEsmileD crop
   (SMILEsmileD was cut from LFW): among the crops of the same person (face encodings
   closer than ``IDENTITY_GATE``), the one whose aligned chip correlates best, when that
   is clearly the best and the crop's own best photo is this one. That gives lfw-dev
   photos an *independent* smiling / neutral label for the liveness benchmark, written
   to ``.cache/faces/lfw_smile_labels.v2.json``.
3. Fixed split: crops matched to lfw-dev identities of the held-apart half
   (``split.half_of``, the rule every research tool uses) always go to TEST, so the
   liveness benchmark never scores a photo the model trained on; every other crop goes
   by crc32(file name) % 10: 0-6 train, 7 validation, 8-9 test.
4. A numpy MLP (HOG + coarse lower-face pixels -> 64 ReLU -> 1) is trained with Adam on
   train (+ mirrored chips, + ``AUGMENT_COPIES`` camera-like variants of each crop),
   early-stopped on validation AUC; the operating threshold is
   the one with the best validation accuracy, scoring like the runtime does (each chip's
   logit averaged with its mirror image's). Test figures are measured once and stored
   in the .npz next to the weights.
"""

from __future__ import annotations

import json
import os
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from .. import detect, smile
from .dataset import cache_dir, faces_dir, identity_images
from .split import in_half

UPSAMPLE = 4
SEED = 1234
# Matching an lfw-dev photo to its SMILEsmileD crop: same person (single-pass encoding
# distance), then the same photo (chip correlation, clearly above the runner-up). Checked
# by eye on a sample of the weakest matches, and it agrees with every match of the
# stricter correlation-only rule it replaced.
IDENTITY_GATE = 0.5
SAME_PHOTO_CORRELATION = 0.80
SAME_PHOTO_GAP = 0.03
# A crop this close to an lfw-dev photo (encoding distance) is almost surely that photo
# or the same person: 95% of the matched crop-photo pairs are closer than 0.28.
NEAR_PHOTO_GATE = 0.3
# Augmented copies of each training crop (scale, landmark jitter, exposure, blur), so the
# score of one photo stays put when a camera shows it a little differently.
AUGMENT_COPIES = 3


def heldout_identity(name: str) -> bool:
    """The held-apart half of lfw-dev identities (``split.half_of``), never tuned on."""
    return in_half(name, "heldout")


def crop_split(file_name: str) -> str:
    bucket = zlib.crc32(file_name.encode()) % 10
    return "train" if bucket < 7 else ("val" if bucket == 7 else "test")


# --- stage 1/2: detection + landmarks, same path as runtime --------------------------

_DLIB: dict = {}


def _dlib_models():
    if not _DLIB:
        import dlib

        from .._models import models_dir

        _DLIB["det"] = dlib.get_frontal_face_detector()
        _DLIB["sp"] = dlib.shape_predictor(
            str(models_dir() / "shape_predictor_5_face_landmarks.dat")
        )
    return _DLIB["det"], _DLIB["sp"]


def load_smile_crop(path: str | Path) -> np.ndarray:
    """A SMILEsmileD crop as the RGB image the runtime would see (upsampled x4)."""
    img = Image.open(path).convert("L")
    img = img.resize((img.width * UPSAMPLE, img.height * UPSAMPLE), Image.Resampling.BICUBIC)
    return np.asarray(img.convert("RGB"))


def landmarks_of(rgb: np.ndarray, upsample: int = 0) -> tuple[list[float], bool]:
    """[top, right, bottom, left, x0, y0, ..., x4, y4] of the largest face; found flag."""
    import dlib

    det, sp = _dlib_models()
    rects = list(det(rgb, upsample))
    found = bool(rects)
    if found:
        rect = max(rects, key=lambda r: r.area())
    else:
        h, w = rgb.shape[:2]
        rect = dlib.rectangle(0, 0, w - 1, h - 1)
    shape = sp(rgb, rect)
    pts = [c for p in shape.parts() for c in (p.x, p.y)]
    return [rect.top(), rect.right() + 1, rect.bottom() + 1, rect.left(), *pts], found


def marks_dict(row: np.ndarray) -> smile.Landmarks:
    return detect.landmarks_from_points(np.asarray(row[4:14]).reshape(5, 2))


def _crop_job(path: str) -> tuple[list[float], bool]:
    return landmarks_of(load_smile_crop(path))


def _lfw_rgb(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _lfw_job(path: str) -> tuple[list[float], bool]:
    return landmarks_of(_lfw_rgb(path), upsample=0)


def _encoding_job(args: tuple[str, str, np.ndarray]) -> np.ndarray:
    import dlib

    from .. import encode

    kind, path, row = args
    rgb = load_smile_crop(path) if kind == "crop" else _lfw_rgb(path)
    rect = dlib.rectangle(int(row[3]), int(row[0]), int(row[1]) - 1, int(row[2]) - 1)
    points = [dlib.point(int(row[4 + 2 * i]), int(row[5 + 2 * i])) for i in range(5)]
    shape = dlib.full_object_detection(rect, points)
    return encode.encode_chips([encode.face_chip(rgb, shape)], flip=False)[0]


def cached_encodings(kind: str, paths: list[str], rows: np.ndarray) -> np.ndarray:
    """Single-pass encodings (identity only, for matching photos to crops)."""
    path = cache_dir() / f"{kind}_encodings.npz"
    if path.exists():
        data = np.load(path)
        if list(data["paths"]) == paths:
            return data["enc"]
    t0 = time.time()
    jobs = [(kind, p, r) for p, r in zip(paths, rows, strict=True)]
    enc = np.array(_pool_map(_encoding_job, jobs), np.float32)
    np.savez(path, paths=np.array(paths), enc=enc)
    print(f"{kind}: encodings for {len(paths)} images in {time.time() - t0:.0f}s", flush=True)
    return enc


def _pool_map(job, items: list) -> list:
    """``job`` over ``items`` in up to two processes, results in order."""
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(job, items, chunksize=64))


def _run_parallel(job, paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    out = _pool_map(job, paths)
    return np.array([o[0] for o in out], np.float32), np.array([o[1] for o in out])


def smile_crops() -> tuple[list[str], np.ndarray]:
    root = faces_dir() / "smiles"
    pos = sorted((root / "positives" / "positives7").glob("*.jpg"))
    neg = sorted((root / "negatives" / "negatives7").glob("*.jpg"))
    paths = [str(p) for p in pos + neg]
    labels = np.array([1] * len(pos) + [0] * len(neg), np.int8)
    return paths, labels


def cached_landmarks(name: str, job, paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    path = cache_dir() / f"{name}_landmarks.npz"
    if path.exists():
        data = np.load(path)
        if list(data["paths"]) == paths:
            return data["rows"], data["found"]
    t0 = time.time()
    rows, found = _run_parallel(job, paths)
    np.savez(path, paths=np.array(paths), rows=rows, found=found)
    print(f"{name}: landmarks for {len(paths)} images in {time.time() - t0:.0f}s", flush=True)
    return rows, found


def crop_chips_and_features(paths: list[str], rows: np.ndarray):
    path = cache_dir() / "smile_features.npz"
    if path.exists():
        data = np.load(path)
        if len(data["feats"]) == len(paths):
            return data["chips"], data["feats"], data["feats_flip"]
    chips, feats, flips = [], [], []
    for p, row in zip(paths, rows, strict=True):
        chip = smile.align_chip(load_smile_crop(p), marks_dict(row))
        chips.append(chip.astype(np.uint8))
        feats.append(smile.chip_features(chip))
        flips.append(smile.chip_features(np.ascontiguousarray(chip[:, ::-1])))
    out = np.array(chips), np.array(feats), np.array(flips)
    np.savez(path, chips=out[0], feats=out[1], feats_flip=out[2])
    return out


def _augmented_chip(path: str, row: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The crop as a camera might show it: another resolution (the chip is resampled
    differently), landmarks off by a pixel or two, other exposure, maybe blur."""
    from PIL import ImageFilter

    rgb = load_smile_crop(path)
    factor = rng.uniform(0.3, 1.0)
    size = max(32, round(rgb.shape[1] * factor))
    small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR))
    marks = marks_dict(row)
    eye_d = abs(marks["left_eye"][0][0] - marks["right_eye"][0][0]) * factor + 1.0
    jitter = 0.03 * eye_d

    def move(value: float) -> int:
        return round(value * factor + rng.normal(0, jitter))

    moved = {key: [(move(x), move(y)) for x, y in points] for key, points in marks.items()}
    chip = smile.align_chip(small, moved)
    if rng.random() < 0.3:
        blurred = Image.fromarray(chip.astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0))
        )
        chip = np.asarray(blurred, dtype=np.float32)
    chip = 255.0 * (np.clip(chip, 0, 255) / 255.0) ** rng.uniform(0.7, 1.4)
    chip = chip * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)
    chip = np.clip(chip, 0, 255).astype(np.float32)
    return np.ascontiguousarray(chip[:, ::-1]) if rng.random() < 0.5 else chip


def _augment_job(args: tuple[int, str, np.ndarray, int]) -> np.ndarray:
    index, path, row, copies = args
    rng = np.random.default_rng([SEED, index])
    return np.array([smile.chip_features(_augmented_chip(path, row, rng)) for _ in range(copies)])


def augmented_features(
    paths: list[str], rows: np.ndarray, indices: np.ndarray, copies: int = AUGMENT_COPIES
) -> np.ndarray:
    """``copies`` augmented feature rows per training crop, (len(indices) * copies, dim)."""
    path = cache_dir() / f"smile_augmented_{copies}.npz"
    if path.exists():
        data = np.load(path)
        if np.array_equal(data["indices"], indices):
            return data["feats"]
    t0 = time.time()
    jobs = [(int(i), paths[i], rows[i], copies) for i in indices]
    feats = np.concatenate(_pool_map(_augment_job, jobs))
    np.savez(path, indices=indices, feats=feats)
    print(f"augmented {len(indices)} crops x{copies} in {time.time() - t0:.0f}s", flush=True)
    return feats


# --- stage 2: label lfw-dev photos with their SMILEsmileD crop -----------------------


def lfw_paths(half: str | None = None) -> list[str]:
    """Every lfw-dev photo, sorted; only those of ``half``'s identities when given."""
    images = identity_images(faces_dir() / "lfw-dev")
    return [str(path) for name, path in images if half is None or in_half(name, half)]


def _unit_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of two sets of unit-length encodings."""
    return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * a @ b.T))


def _norm_rows(chips: np.ndarray) -> np.ndarray:
    # Central face only: LFW deep-funnelling warps the borders differently.
    x = chips[:, 4:-4, 6:-6].reshape(len(chips), -1).astype(np.float32)
    x -= x.mean(1, keepdims=True)
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-6
    return x


def label_lfw(crop_paths, crop_labels, crop_chips, crop_rows) -> dict[str, dict]:
    out_path = cache_dir() / "lfw_smile_labels.v2.json"
    if out_path.exists():
        return json.loads(out_path.read_text())
    root = faces_dir() / "lfw-dev"
    photos = lfw_paths()
    rows, found = cached_landmarks("lfw", _lfw_job, photos)
    lfw_chips = np.array(
        [smile.align_chip(_lfw_rgb(p), marks_dict(r)) for p, r in zip(photos, rows, strict=True)]
    )
    lfw_enc = cached_encodings("lfw", photos, rows)
    crop_enc = cached_encodings("crop", crop_paths, crop_rows)
    distance = _unit_distances(lfw_enc, crop_enc)
    sim = _norm_rows(lfw_chips) @ _norm_rows(crop_chips.astype(np.float32)).T
    sim = np.where(distance <= IDENTITY_GATE, sim, -1.0)
    order = np.argsort(-sim, axis=1)
    photo_of_crop = np.argmax(sim, axis=0)
    labels: dict[str, dict] = {}
    for i, p in enumerate(photos):
        j = int(order[i, 0])
        best, second = sim[i, j], sim[i, order[i, 1]]
        if (
            found[i]
            and best >= SAME_PHOTO_CORRELATION
            and best - second >= SAME_PHOTO_GAP
            and photo_of_crop[j] == i
        ):
            labels[str(Path(p).relative_to(root))] = {
                "smiling": int(crop_labels[j]),
                "crop": Path(crop_paths[j]).name,
                "corr": round(float(best), 3),
            }
    out_path.write_text(json.dumps(labels, indent=0, sort_keys=True))
    print(f"lfw-dev: {len(labels)}/{len(photos)} photos labelled from SMILEsmileD")
    return labels


def heldout_crops(crop_paths: list[str], crop_rows: np.ndarray, lfw_labels) -> np.ndarray:
    """Crops of the held-apart half of lfw-dev: matched to one of its photos, or closer
    than ``NEAR_PHOTO_GATE`` to one by face encoding. They all go to test, so the
    liveness benchmark's photos (and most other photos of its people) are never trained
    on."""
    photos = lfw_paths()
    lfw_rows, _ = cached_landmarks("lfw", _lfw_job, photos)
    lfw_enc = cached_encodings("lfw", photos, lfw_rows)
    crop_enc = cached_encodings("crop", crop_paths, crop_rows)
    held = np.array([heldout_identity(Path(p).parent.name) for p in photos])
    out = np.zeros(len(crop_paths), bool)
    for start in range(0, len(crop_paths), 2048):
        block = crop_enc[start : start + 2048]
        distance = _unit_distances(block, lfw_enc)
        nearest = distance.argmin(axis=1)
        close = distance[np.arange(len(block)), nearest] <= NEAR_PHOTO_GATE
        out[start : start + len(block)] = close & held[nearest]
    matched = {v["crop"] for k, v in lfw_labels.items() if heldout_identity(k.split("/")[0])}
    return out | np.array([Path(p).name in matched for p in crop_paths])


# --- stage 4: the model --------------------------------------------------------------


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _forward(params: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = np.maximum(x @ params["w1"] + params["b1"], 0.0)
    return h, (h @ params["w2"] + params["b2"]).ravel()


def train_mlp(x, y, xv, yv, *, hidden: int = 64, epochs: int = 60, l2: float = 3e-4) -> dict:
    rng = np.random.default_rng(SEED)
    d = x.shape[1]
    params = {
        "w1": (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": (rng.standard_normal((hidden, 1)) * np.sqrt(1.0 / hidden)).astype(np.float32),
        "b2": np.zeros(1, np.float32),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    lr, b1m, b2m, step = 1e-3, 0.9, 0.999, 0
    best = (-1.0, None)
    for epoch in range(epochs):
        perm = rng.permutation(len(x))
        for start in range(0, len(x), 128):
            idx = perm[start : start + 128]
            xb, yb = x[idx], y[idx]
            h, z = _forward(params, xb)
            p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
            dz = ((p - yb) / len(idx))[:, None].astype(np.float32)
            grads = {"w2": h.T @ dz, "b2": dz.sum(0)}
            dh = (dz @ params["w2"].T) * (h > 0)
            grads["w1"] = xb.T @ dh
            grads["b1"] = dh.sum(0)
            step += 1
            for k, g in grads.items():
                if k.startswith("w"):
                    g = g + l2 * params[k]
                m, v = moments[k]
                m[:] = b1m * m + (1 - b1m) * g
                v[:] = b2m * v + (1 - b2m) * g * g
                mh, vh = m / (1 - b1m**step), v / (1 - b2m**step)
                params[k] -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        val_auc = auc(_forward(params, xv)[1], yv)
        if val_auc > best[0]:
            best = (val_auc, {k: v.copy() for k, v in params.items()})
        if epoch % 10 == 0:
            print(f"  epoch {epoch}: val AUC {val_auc:.4f}", flush=True)
    print(f"  best val AUC {best[0]:.4f}")
    return best[1]


def main(argv: list[str] | None = None) -> int:
    paths, labels = smile_crops()
    if not paths:
        print(f"no SMILEsmileD crops under {faces_dir()}", file=sys.stderr)
        return 2
    rows, found = cached_landmarks("smile", _crop_job, paths)
    print(f"SMILEsmileD: detector found a face in {found.mean():.1%} of the upsampled crops")
    chips, feats, feats_flip = crop_chips_and_features(paths, rows)
    lfw_labels = label_lfw(paths, labels, chips, rows)

    names = [Path(p).name for p in paths]
    split = np.array([crop_split(n) for n in names])
    split[heldout_crops(paths, rows, lfw_labels)] = "test"
    tr, va, te = (split == s for s in ("train", "val", "test"))
    print(f"split: train {tr.sum()}, val {va.sum()}, test {te.sum()}")

    mean = feats[tr].mean(0)
    std = feats[tr].std(0) + 1e-3
    norm = lambda f: ((f - mean) / std).astype(np.float32)  # noqa: E731
    train_rows = np.flatnonzero(tr)
    augmented = augmented_features(paths, rows, train_rows)
    x = np.concatenate([norm(feats[tr]), norm(feats_flip[tr]), norm(augmented)])
    y = np.concatenate(
        [labels[tr], labels[tr], np.repeat(labels[train_rows], AUGMENT_COPIES)]
    ).astype(np.float32)
    params = train_mlp(x, y, norm(feats[va]), labels[va])

    def probs(rows: np.ndarray) -> np.ndarray:
        # As at run time: the logits of each chip and its mirror image, averaged.
        z = _forward(params, norm(feats[rows]))[1] + _forward(params, norm(feats_flip[rows]))[1]
        return 1 / (1 + np.exp(-np.clip(z / 2, -30, 30)))

    pv = probs(va)
    grid = np.linspace(0.05, 0.95, 91)
    accs = [((pv >= t) == labels[va]).mean() for t in grid]
    threshold = float(grid[int(np.argmax(accs))])
    pt = probs(te)
    test_auc = auc(pt, labels[te])
    test_acc = float(((pt >= threshold) == labels[te]).mean())
    print(f"operating threshold {threshold:.2f} (best validation accuracy {max(accs):.4f})")
    print(f"TEST: AUC {test_auc:.4f}, accuracy {test_acc:.4f} on {te.sum()} crops")
    out = smile.MODEL_PATH
    out.parent.mkdir(exist_ok=True)
    np.savez_compressed(
        out,
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        **params,
        threshold=np.float32(threshold),
        test_auc=np.float32(test_auc),
        test_accuracy=np.float32(test_acc),
        n_test=np.int32(te.sum()),
    )
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
