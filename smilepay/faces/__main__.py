"""Command line: ``python -m smilepay.faces {calibrate,evaluate,verify,liveness} ...``.

Every command prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np


def _jsonable(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _jsonable(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name not in ("encoding", "chip")
        }
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _print(doc) -> None:
    json.dump(_jsonable(doc), sys.stdout, indent=2)
    sys.stdout.write("\n")


def cmd_calibrate(args) -> int:
    from . import calibrate as cal
    from .dataset import Dataset, plain_encodings
    from .matching import match_threshold
    from .plot import roc_png

    ds = Dataset.load(args.dir)
    enc = cal.engine_encodings(ds)
    idx = cal.select(ds, args.half)
    gen, imp = cal.pairwise(enc, ds.names, idx)
    thresholds = sorted({*np.round(np.arange(0.30, 0.56, 0.02), 2).tolist(), match_threshold()})
    doc = {
        "dir": str(args.dir),
        "half": args.half,
        "threshold_in_force": match_threshold(),
        "all_pairs": cal.summary(gen, imp, thresholds),
    }
    if len(gen) == 0 or len(imp) == 0:
        _print({"error": "need identities with at least two images, and two identities"})
        return 2
    curves = {"engine, all image pairs": cal.roc(gen, imp)[1:]}
    enrolled, _ = cal.enrollment_split(ds.names, idx)
    test = None
    if enrolled:  # someone has 4+ images: 3 to enroll, the rest to probe
        test = cal.enrollment_test(enc, ds.names, idx)
        doc["enrollment_3_images"] = cal.summary(test["genuine"], test["impostor"], thresholds)
        curves["engine, 3-image enrolment"] = cal.roc(test["genuine"], test["impostor"])[1:]
    if args.pairs:
        a, b, same = cal.read_pairs(ds, args.pairs)
        doc["pairs_10_fold"] = cal.ten_fold_accuracy(cal.pair_distances(enc, a, b), same)
        if args.baseline:
            needed = sorted(set(a.tolist()) | set(b.tolist()))
            base = plain_encodings(ds, needed)
            benc = np.zeros((len(ds.paths), 128), np.float32)
            for k, v in base.items():
                benc[k] = v
            doc["pairs_10_fold_plain_face_recognition"] = cal.ten_fold_accuracy(
                cal.pair_distances(benc, a, b), same
            )
    if args.plot:
        g, i = (test["genuine"], test["impostor"]) if test else (gen, imp)
        fmr, fnmr = cal.rates(g, i, match_threshold())
        roc_png(
            curves,
            args.plot,
            title=f"SmilePay face engine ROC - {Path(args.dir).name}, half={args.half}",
            marks={f"threshold {match_threshold():.3f}": (max(fmr, 1e-5), fnmr)},
        )
        doc["plot"] = str(args.plot)
    _print(doc)
    return 0


def cmd_evaluate(args) -> int:
    from .report import evaluate

    doc = evaluate(
        Path(args.dir),
        half=args.half,
        pairs=Path(args.pairs) if args.pairs else None,
        baseline=args.baseline,
        write=Path(args.write) if args.write else None,
        plot=Path(args.plot) if args.plot else None,
    )
    _print(doc)
    return 0


def _largest_face(path: str):
    from .api import analyze

    faces = analyze(Path(path).read_bytes(), want_smile=False)
    return faces[0] if faces else None, len(faces)


def cmd_verify(args) -> int:
    from .errors import FaceImageError
    from .matching import compare, match_threshold

    try:
        fa, na = _largest_face(args.a)
        fb, nb = _largest_face(args.b)
    except (FaceImageError, OSError) as exc:
        _print({"error": str(exc)})
        return 2
    doc = {"faces_a": na, "faces_b": nb, "threshold": match_threshold()}
    if fa is None or fb is None:
        doc.update({"match": False, "reason": "no_face", "distance": None})
    else:
        d = compare(fa.encoding, fb.encoding)
        doc.update(
            {
                "match": d <= match_threshold(),
                "distance": round(d, 4),
                "quality_a": fa.quality,
                "quality_b": fb.quality,
            }
        )
    _print(doc)
    return 0 if doc["match"] else 1


def cmd_liveness(args) -> int:
    from .liveness import liveness

    frames = [Path(p).read_bytes() for p in args.frames]
    _print(liveness(frames))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smilepay.faces")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("calibrate", help="FMR/FNMR at thresholds, 10-fold accuracy, ROC plot")
    p.add_argument("dir", help="folder of identity folders (e.g. ../shared/faces/lfw-dev)")
    p.add_argument("--pairs", help="LFW-style pairs file for the 10-fold accuracy")
    p.add_argument("--plot", help="write the ROC plot to this PNG")
    p.add_argument("--half", default="tune", choices=["tune", "heldout", "all"])
    p.add_argument("--baseline", action="store_true", help="also measure plain face_recognition")
    p.set_defaults(fn=cmd_calibrate)
    p = sub.add_parser("evaluate", help="3-image enrolment FNMR@FMR report (held-apart half)")
    p.add_argument("dir")
    p.add_argument("--half", default="heldout", choices=["tune", "heldout", "all"])
    p.add_argument("--pairs")
    p.add_argument("--baseline", action="store_true")
    p.add_argument("--write", help="write the markdown report here (e.g. docs/faces-accuracy.md)")
    p.add_argument("--plot", help="write the ROC plot to this PNG")
    p.set_defaults(fn=cmd_evaluate)
    p = sub.add_parser("verify", help="are the largest faces in A and B the same person?")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(fn=cmd_verify)
    p = sub.add_parser("liveness", help="smile liveness over frames in capture order")
    p.add_argument("frames", nargs="+")
    p.set_defaults(fn=cmd_liveness)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
