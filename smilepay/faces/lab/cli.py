"""The research half of ``python -m smilepay.faces``: ``calibrate`` and ``evaluate``.

``smilepay/faces/__main__.py`` parses the arguments and hands them here, so the runtime
package never imports the research code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..matching import match_threshold
from . import calibrate as cal
from . import report
from .dataset import Dataset, plain_encodings
from .plot import roc_png


def calibrate(args, emit) -> int:
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
        emit({"error": "need identities with at least two images, and two identities"})
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
    emit(doc)
    return 0


def evaluate(args, emit) -> int:
    doc = report.evaluate(
        Path(args.dir),
        half=args.half,
        pairs=Path(args.pairs) if args.pairs else None,
        baseline=args.baseline,
        write=Path(args.write) if args.write else None,
        plot=Path(args.plot) if args.plot else None,
    )
    emit(doc)
    return 0
