"""Face datasets on disk (LFW-style folders) and their cached encodings.

Encoding 3,000 images takes minutes, so raw descriptors are cached under
``.cache/faces/`` (git-ignored) keyed by the folder, the variant and the file list.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[3]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def faces_dir() -> Path:
    """The shared face data folder (env ``SMILEPAY_FACES_DIR``, default ../shared/faces)."""
    return Path(os.environ.get("SMILEPAY_FACES_DIR") or REPO_ROOT.parent / "shared" / "faces")


def cache_dir() -> Path:
    path = Path(os.environ.get("SMILEPAY_FACES_CACHE") or REPO_ROOT / ".cache" / "faces")
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return path


def identity_images(root: Path | str) -> list[tuple[str, Path]]:
    """(identity, image path) for every image in ``root``'s identity folders, sorted by
    path: the one folder walk every research tool uses."""
    found = [
        (d.name, f)
        for d in Path(root).iterdir()
        if d.is_dir()
        for f in d.iterdir()
        if f.suffix.lower() in IMAGE_SUFFIXES
    ]
    return sorted(found, key=lambda item: str(item[1]))


@dataclass
class Dataset:
    root: Path
    names: list[str]  # identity of each image
    paths: list[Path]

    @classmethod
    def load(cls, root: Path | str) -> Dataset:
        root = Path(root)
        images = identity_images(root)
        names = [name for name, _ in images]
        paths = [path for _, path in images]
        if not paths:
            raise FileNotFoundError(f"no identity folders with images under {root}")
        return cls(root=root, names=names, paths=paths)

    def key(self) -> str:
        h = hashlib.sha256()
        for p in self.paths:
            h.update(str(p.relative_to(self.root)).encode())
        return f"{self.root.name}-{h.hexdigest()[:12]}"

    def aligned(self) -> bool:
        """True for LFW-style sets: every image the same size, the labelled face centred."""
        from PIL import Image

        sizes = set()
        for p in self.paths:
            with Image.open(p) as img:
                sizes.add(img.size)
            if len(sizes) > 1:
                return False
        return True

    def index_of(self, name: str, i: int) -> int:
        """Index of image ``i`` (1-based, LFW numbering) of identity ``name``."""
        target = f"{name}_{i:04d}"
        for k, p in enumerate(self.paths):
            if self.names[k] == name and p.stem == target:
                return k
        raise KeyError(f"{target} not in dataset")


def _center_face(dets, h: int, w: int):
    """LFW crops are centred on the labelled person: take the detection nearest the centre."""
    cy, cx = h / 2, w / 2
    return min(
        dets,
        key=lambda d: ((d.top + d.bottom) / 2 - cy) ** 2 + ((d.left + d.right) / 2 - cx) ** 2,
    )


def _iou(a, b) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, bottom - top) * max(0, right - left)
    area = (a[2] - a[0]) * (a[1] - a[3]) + (b[2] - b[0]) * (b[1] - b[3]) - inter
    return inter / area if area > 0 else 0.0


def engine_descriptors(
    ds: Dataset, *, detector: str | None = None, progress: bool = True
) -> dict[str, np.ndarray]:
    """Raw dlib descriptors of each image's aligned chip and its mirror, cached.

    ``detector``: 'blazeface' or 'hog' (default: the one configured). Returns arrays:
    ``plain`` (n,128), ``mirror`` (n,128), ``detected`` (n,) bool, ``box``, and for
    'blazeface' ``points`` (n, 5, 2), dlib's 5 landmarks (what a second encoder aligns by).
    For aligned sets (``Dataset.aligned``: LFW crops, centred on the labelled person) the
    face taken is the detection nearest the centre; when none overlaps the usual central
    box (IoU >= 0.3) a permissive detector pass is tried, and failing that the median box
    is used (``detected`` False). For other folders the largest face is taken and images
    without one are left out (see ``usable``).
    """
    if detector is None:
        from ..config import current

        detector = current().detector
    # 'hog' keeps the name of the cache made before BlazeFace (same pass, no points).
    name = "engine-v3" if detector == "hog" else f"engine-{detector}-v1"
    path = cache_dir() / f"{ds.key()}-{name}.npz"
    if path.exists():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    v1 = cache_dir() / f"{ds.key()}-engine-v1.npz"
    if detector == "hog" and v1.exists():
        # The first pass is unchanged since v1: only redo the doubtful images.
        with np.load(v1) as data:
            out = {k: data[k] for k in data.files}
    else:
        aligned = ds.aligned()
        out = _first_pass(ds, progress=progress, centred=aligned, detector=detector)
        if aligned:
            out = _second_chance(ds, out)
    np.savez(path, **out)
    return out


def usable(ds: Dataset, raw: dict[str, np.ndarray]) -> np.ndarray:
    """Images whose encoding may be used: all of an aligned set, else those with a face."""
    if ds.aligned():
        return np.ones(len(ds.paths), bool)
    return raw["detected"].astype(bool)


def _encode_at(rgb: np.ndarray, det) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from .. import detect, encode

    shape = detect.landmarks5(rgb, det)
    chip = encode.face_chip(rgb, shape)
    raw = encode.descriptors([chip, np.ascontiguousarray(chip[:, ::-1])])
    return raw[0], raw[1], detect.points(shape)


def _first_pass_job(job: tuple[str, str, bool]):
    """One image of the first pass: (plain, mirror, points, box) or None without a face."""
    from .. import detect
    from ..imaging import decode_image

    path, detector, centred = job
    rgb = decode_image(Path(path).read_bytes())
    dets = detect.detect(rgb, method=detector)
    if not dets:
        return None
    det = _center_face(dets, *rgb.shape[:2]) if centred else dets[0]
    plain, mirror, points = _encode_at(rgb, det)
    return plain, mirror, points, (det.top, det.right, det.bottom, det.left)


def _first_pass(
    ds: Dataset, *, progress: bool, centred: bool, detector: str
) -> dict[str, np.ndarray]:
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext

    n = len(ds.paths)
    out = {
        "plain": np.zeros((n, 128), np.float32),
        "mirror": np.zeros((n, 128), np.float32),
        "detected": np.zeros(n, bool),
        "box": np.zeros((n, 4), np.int32),
        "points": np.zeros((n, 5, 2), np.float32),
    }
    t0 = time.perf_counter()
    jobs = [(str(p), detector, centred) for p in ds.paths]
    # Two processes at most: the machine is shared (SMILEPAY_LAB_WORKERS=1 for one).
    workers = max(1, min(int(os.environ.get("SMILEPAY_LAB_WORKERS", "2")), os.cpu_count() or 1))
    parallel = workers > 1 and n >= 100  # a small folder is not worth starting processes for
    with ProcessPoolExecutor(workers) if parallel else nullcontext() as pool:
        results = (
            pool.map(_first_pass_job, jobs, chunksize=16) if pool else map(_first_pass_job, jobs)
        )
        for k, found in enumerate(results):
            if found is not None:
                out["plain"][k], out["mirror"][k], out["points"][k], out["box"][k] = found
                out["detected"][k] = True
            if progress and k % 200 == 0:
                print(f"  encoded {k}/{n} in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return out


def _second_chance(ds: Dataset, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from .. import detect
    from ..imaging import decode_image

    med = tuple(int(v) for v in np.median(out["box"][out["detected"]], axis=0).round())
    doubtful = [
        k
        for k in range(len(ds.paths))
        if not out["detected"][k] or _iou(tuple(out["box"][k]), med) < 0.3
    ]
    for k in doubtful:
        rgb = decode_image(ds.paths[k].read_bytes())
        dets = detect.detect(rgb, upsample=2, adjust_threshold=-0.6)
        best = max(dets, key=lambda d: _iou((d.top, d.right, d.bottom, d.left), med), default=None)
        box = (best.top, best.right, best.bottom, best.left) if best else med
        if best is None or _iou(box, med) < 0.3:
            best, box = detect.Detection(*med, 0.0), med
            out["detected"][k] = False
        else:
            out["detected"][k] = True
        out["plain"][k], out["mirror"][k], out["points"][k] = _encode_at(rgb, best)
        out["box"][k] = box
    out["second_chance"] = np.array(doubtful, dtype=np.int64)
    return out


def second_encodings(
    ds: Dataset, spec, *, detector: str = "blazeface", progress: bool = True
) -> np.ndarray:
    """Unit encodings (n, dim) of every image by a second encoder (``config.EncoderSpec``),
    aligned as at runtime (``encoders.alignment_points``: Face Mesh on the face that
    ``engine_descriptors(ds, detector=...)`` found); cached by the model file's sha256."""
    from .. import detect, encoders
    from ..imaging import decode_image

    path = cache_dir() / f"{ds.key()}-{spec.kind}-{spec.sha256[:16]}-{detector}-mesh5-v1.npz"
    if path.exists():
        with np.load(path) as data:
            return data["enc"]
    found = engine_descriptors(ds, detector=detector, progress=progress)
    out = np.zeros((len(ds.paths), spec.dim), np.float32)
    t0 = time.perf_counter()
    for k, p in enumerate(ds.paths):
        rgb = decode_image(p.read_bytes())
        box = detect.clip_box(detect.Detection(*found["box"][k], 0.0), *rgb.shape[:2])
        marks = detect.landmarks_from_points(found["points"][k])
        points = encoders.alignment_points(rgb, (box, marks))
        out[k] = encoders.second_encodings(spec, rgb, [points])[0]
        if progress and k % 500 == 0:
            print(f"  {spec.kind}: {k}/{len(ds.paths)} in {time.perf_counter() - t0:.0f}s")
    np.savez(path, enc=out)
    return out


def plain_encodings(ds: Dataset, indices: list[int]) -> dict[int, np.ndarray]:
    """face_recognition's own calls (face_locations + face_encodings), the baseline.

    Cached. When face_locations finds nothing, the engine's median box is passed in, as
    a user of the plain library would have to.
    """
    path = cache_dir() / f"{ds.key()}-plain-v1.npz"
    cached: dict[int, np.ndarray] = {}
    if path.exists():
        with np.load(path) as data:
            cached = {int(k): v for k, v in zip(data["idx"], data["enc"], strict=True)}
    todo = [k for k in indices if k not in cached]
    if todo:
        import face_recognition

        for k in todo:
            img = face_recognition.load_image_file(ds.paths[k])
            locs = face_recognition.face_locations(img)
            if locs:
                h, w = img.shape[:2]
                locs = [
                    min(
                        locs,
                        key=lambda b: (
                            ((b[0] + b[2]) / 2 - h / 2) ** 2 + ((b[1] + b[3]) / 2 - w / 2) ** 2
                        ),
                    )
                ]
            else:
                locs = [(70, 180, 180, 70)]
            cached[k] = face_recognition.face_encodings(img, locs)[0].astype(np.float32)
        idx = np.array(sorted(cached))
        np.savez(path, idx=idx, enc=np.stack([cached[int(i)] for i in idx]))
    return {k: cached[k] for k in indices}
