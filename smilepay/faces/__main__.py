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
            if f.name != "encoding" and not f.name.startswith("_")
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
    from .lab.cli import calibrate

    return calibrate(args, _print)


def cmd_evaluate(args) -> int:
    from .lab.cli import evaluate

    return evaluate(args, _print)


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
    p.add_argument(
        "--record",
        help="write the calibrated record of SMILEPAY_FACE_ENCODERS into this JSON file "
        "(smilepay/faces/calibrations.json, or the file SMILEPAY_FACE_CALIBRATIONS names)",
    )
    p.set_defaults(fn=cmd_calibrate)
    p = sub.add_parser("evaluate", help="3-image enrolment FNMR@FMR report (held-apart half)")
    p.add_argument("dir")
    p.add_argument("--half", default="heldout", choices=["tune", "heldout", "all"])
    p.add_argument("--pairs")
    p.add_argument("--baseline", action="store_true")
    p.add_argument("--write", help="write the markdown report here (e.g. docs/faces-accuracy.md)")
    p.add_argument("--plot", help="write the ROC plot to this PNG")
    p.add_argument(
        "--fused",
        help="also report this SMILEPAY_FACE_ENCODERS value (calibrated), e.g. "
        "dlib,mobilefacenet:PATH",
    )
    p.set_defaults(fn=cmd_evaluate)
    p = sub.add_parser("verify", help="are the largest faces in A and B the same person?")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(fn=cmd_verify)
    p = sub.add_parser("liveness", help="smile liveness over frames in capture order")
    p.add_argument("frames", nargs="+")
    p.set_defaults(fn=cmd_liveness)
    args = parser.parse_args(argv)
    if args.command != "calibrate":  # calibrate makes the record the others need
        from .config import ConfigError, load

        try:
            load()
        except ConfigError as exc:
            _print({"error": str(exc)})
            return 2
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
