"""Fit and check the BlazeFace -> HOG box mapping; count detection failures.

``python -m smilepay.faces.lab.detector_fit [--faces ../shared/faces]`` (about 3 minutes
on one core) runs dlib's HOG detector and BlazeFace on every lfw-dev photo and prints, as
JSON:

* ``fit``: the ``detect.HOG_BOX_FROM_BLAZEFACE`` constants, medians over the tuning
  half's faces found by both (centre offset and side of the HOG box in BlazeFace box
  widths);
* per half, detection failures of the runtime detector before (HOG) and after
  (BlazeFace with its HOG fallback, ``detect.detect``): photos with no face at all, and
  photos where no face overlaps the labelled, centred one (IoU >= 0.3 with the median
  box);
* alignment: how far dlib's 5 points move when the predictor starts from the mapped
  BlazeFace box instead of the HOG box (median and 99th percentile, in eye distances);
* per photo of ``face_recognition_examples``, the faces each detector finds.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .. import blazeface, detect
from ..imaging import decode_image
from .dataset import IMAGE_SUFFIXES, Dataset, _center_face, _iou, faces_dir
from .split import half_of


def _central(dets, h: int, w: int):
    return _center_face(dets, h, w) if dets else None


def _box(d) -> tuple[int, int, int, int]:
    return (d.top, d.right, d.bottom, d.left)


def _eye_distance(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[0:2].mean(0) - points[2:4].mean(0)))


def measure(root) -> dict:
    ds = Dataset.load(root)
    rows = []
    t0 = time.perf_counter()
    for name, path in zip(ds.names, ds.paths, strict=True):
        rgb = decode_image(path.read_bytes())
        h, w = rgb.shape[:2]
        hog = detect.hog(rgb)
        raw = blazeface.detect(rgb, min_score=detect.MIN_SCORE)
        new = detect.detect(rgb, method="blazeface")
        rows.append(
            {
                "half": half_of(name),
                "hog": _central(hog, h, w),
                "raw": min(raw, key=lambda f: abs((f.box[0] + f.box[2]) / 2 - w / 2), default=None),
                "new": _central(new, h, w),
                "rgb": rgb if len(rows) % 4 == 0 else None,  # a sample for the landmark check
            }
        )
    seconds = time.perf_counter() - t0
    return {"ds": ds, "rows": rows, "seconds": seconds}


def fit(rows: list[dict]) -> dict:
    dx, dy, side = [], [], []
    for r in rows:
        if r["half"] != "tune" or r["hog"] is None or r["raw"] is None:
            continue
        x1, y1, x2, y2 = r["raw"].box
        width = x2 - x1
        hog = r["hog"]
        plain = (round(y1), round(x2), round(y2), round(x1))
        if _iou(plain, _box(hog)) < 0.3:
            continue
        dx.append(((hog.left + hog.right) / 2 - (x1 + x2) / 2) / width)
        dy.append(((hog.top + hog.bottom) / 2 - (y1 + y2) / 2) / width)
        side.append((hog.right - hog.left) / width)
    return {
        "dx": round(float(np.median(dx)), 4),
        "dy": round(float(np.median(dy)), 4),
        "side": round(float(np.median(side)), 4),
        "faces": len(dx),
    }


def failures(rows: list[dict], half: str) -> dict:
    part = [r for r in rows if r["half"] == half]
    hog_boxes = np.array([_box(r["hog"]) for r in rows if r["hog"] is not None])
    median = tuple(int(v) for v in np.median(hog_boxes, axis=0).round())
    out = {"photos": len(part)}
    for key, label in (("hog", "before_hog"), ("new", "after_blazeface")):
        out[label] = {
            "no_face": sum(r[key] is None for r in part),
            "labelled_face_missed": sum(
                r[key] is None or _iou(_box(r[key]), median) < 0.3 for r in part
            ),
        }
    return out


def alignment(rows: list[dict]) -> dict:
    """dlib's 5 points from the HOG box vs from the mapped BlazeFace box, heldout half."""
    moved = []
    for r in rows:
        if r["half"] != "heldout" or r["rgb"] is None or r["hog"] is None or r["raw"] is None:
            continue
        mapped = detect.Detection(*detect.hog_box_from_blazeface(r["raw"].box), score=0.0)
        if _iou(_box(mapped), _box(r["hog"])) < 0.3:
            continue
        a = detect.points(detect.landmarks5(r["rgb"], r["hog"]))
        b = detect.points(detect.landmarks5(r["rgb"], mapped))
        moved.append(float(np.linalg.norm(a - b, axis=1).max()) / _eye_distance(a))
    return {
        "faces": len(moved),
        "median_max_point_shift_eye_distances": round(float(np.median(moved)), 4),
        "p99_max_point_shift_eye_distances": round(float(np.percentile(moved, 99)), 4),
    }


def examples(folder) -> dict:
    out = {}
    photos = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    for path in photos:
        rgb = decode_image(path.read_bytes())
        out[str(path.relative_to(folder))] = {
            "hog": len(detect.hog(rgb)),
            "blazeface_with_fallback": len(detect.detect(rgb, method="blazeface")),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smilepay.faces.lab.detector_fit")
    parser.add_argument("--faces", default=str(faces_dir()))
    args = parser.parse_args(argv)
    from pathlib import Path

    root = Path(args.faces)
    measured = measure(root / "lfw-dev")
    rows = measured["rows"]
    doc = {
        "fit_on_tune_half": fit(rows),
        "constants_in_force": detect.HOG_BOX_FROM_BLAZEFACE,
        "failures": {half: failures(rows, half) for half in ("tune", "heldout")},
        "alignment_heldout": alignment(rows),
        "examples": examples(root / "face_recognition_examples"),
        "seconds": round(measured["seconds"], 1),
    }
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
