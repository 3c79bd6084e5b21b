"""The research half of ``python -m smilepay.faces``: ``calibrate`` and ``evaluate``.

``smilepay/faces/__main__.py`` parses the arguments and hands them here, so the runtime
package never imports the research code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import config, encoders
from . import calibrate as cal
from . import fusion, report
from .dataset import Dataset, plain_encodings
from .plot import roc_png

MEASURED_ON_BURSTS = ("smile_match_factor", "same_person_max_distance")


def _record(ds: Dataset, specs, detector: str, path: Path | None) -> dict:
    """Calibrate the configured encoders; merge the record into ``path`` when given."""
    record = fusion.calibrate_record(ds, specs, detector)
    if path is not None:
        data = (
            json.loads(path.read_text())
            if path.exists()
            else {"version": config.CALIBRATION_VERSION, "configurations": {}}
        )
        name = config.fingerprint_of(specs)
        # The look-alike factor and the same-person limit are measured on bursts
        # (benchmarks/lookalike_check.py), not here: a recalibration keeps them.
        earlier = data["configurations"].get(name, {})
        record = record | {key: earlier[key] for key in MEASURED_ON_BURSTS if key in earlier}
        data["configurations"][name] = record
        path.write_text(json.dumps(data, indent=2) + "\n")
    return record


def _threshold_in_force(specs, record: dict | None) -> float:
    known = config.calibrations().get(config.fingerprint_of(specs))
    if known is not None:
        return config.current().match_threshold
    return record["match_threshold"] if record else float("nan")


def calibrate(args, emit) -> int:
    ds = Dataset.load(args.dir)
    specs = config.parse_encoders(config.env_str("SMILEPAY_FACE_ENCODERS", "dlib"))
    detector = config.detector_setting()
    record = None
    tune = cal.select(ds, "tune", detector=detector)
    if args.record or cal.enrollment_split(ds.names, tune)[0]:
        record = _record(ds, specs, detector, Path(args.record) if args.record else None)
    parts = fusion.parts(ds, specs, detector)
    enc = encoders.fuse(parts, record["weights"]) if record and len(specs) > 1 else parts[0]
    idx = cal.select(ds, args.half, detector=detector)
    gen, imp = cal.pairwise(enc, ds.names, idx)
    in_force = _threshold_in_force(specs, record)
    thresholds = sorted({*np.round(np.arange(0.30, 0.56, 0.02), 2).tolist(), in_force})
    doc = {
        "dir": str(args.dir),
        "half": args.half,
        "encoders": config.fingerprint_of(specs),
        "detector": detector,
        "calibrated": record,
        "threshold_in_force": in_force,
        "all_pairs": cal.summary(gen, imp, thresholds),
    }
    if args.record:
        doc["record_written"] = str(args.record)
        if "smile_match_factor" not in (record or {}):
            # The engine refuses to start on a record without one (config._factor).
            doc["next_step"] = (
                "measure the look-alike factor with benchmarks/lookalike_check.py --half "
                "tuning under this SMILEPAY_FACE_ENCODERS and add it to the record as "
                "smile_match_factor (or set SMILEPAY_SMILE_MATCH_FACTOR)"
            )
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
        fmr, fnmr = cal.rates(g, i, in_force)
        roc_png(
            curves,
            args.plot,
            title=f"SmilePay face engine ROC - {Path(args.dir).name}, half={args.half}",
            marks={f"threshold {in_force:.3f}": (max(fmr, 1e-5), fnmr)},
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
        fused=args.fused,
    )
    emit(doc)
    return 0
