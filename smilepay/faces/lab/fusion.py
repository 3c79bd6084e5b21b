"""Calibrating an encoder configuration: fusion weights, threshold, margin, FMR.

``calibrate_record`` produces what ``smilepay/faces/calibrations.json`` keeps per
configuration (``python -m smilepay.faces calibrate DIR --record FILE`` writes it):

* weights: the share ``a`` of the second encoder (weights ``sqrt(1 - a)`` and
  ``sqrt(a)``) with the lowest FNMR at FMR <= 1e-4 on the tuning half, 3-image mean
  templates (ties: the lowest at 1e-5);
* ``match_threshold``: the tuning half's threshold at FMR <= 1e-4 per comparison, rounded
  down to 3 decimals; ``verify_threshold`` the same (the same statistic, 1:1);
* ``match_margin``: the widest margin (0 to 0.2 in steps of 0.005) that costs the tuning
  half's genuine probes at most ``MARGIN_COST`` of their right matches;
* ``match_fmr``: false matches per comparison at that threshold on the held-out half (if
  none is seen, 3 / comparisons, the rule of three), which the kiosk's search budgets use.
"""

from __future__ import annotations

import numpy as np

from .. import encode, encoders
from ..config import EncoderSpec, fingerprint_of
from . import calibrate as cal
from .dataset import Dataset, engine_descriptors, second_encodings

TARGET = 1e-4
SHARES = tuple(np.round(np.linspace(0.0, 1.0, 21), 3))
MARGINS = tuple(np.round(np.arange(0.0, 0.2001, 0.005), 3))
MARGIN_COST = 0.005


def parts(ds: Dataset, specs: tuple[EncoderSpec, ...], detector: str) -> list[np.ndarray]:
    """Each encoder's unit encodings of every image (dlib: flip-averaged, as at runtime)."""
    raw = engine_descriptors(ds, detector=detector)
    out = [encode.combine(raw["plain"], raw["mirror"])]
    out += [second_encodings(ds, spec, detector=detector) for spec in specs[1:]]
    return out


def weights_for(share: float) -> tuple[float, float]:
    return (float(np.sqrt(1.0 - share)), float(np.sqrt(share)))


def fnmr_at(test: dict, target: float) -> float:
    t = cal.threshold_at_fmr(test["impostor"], target)
    return cal.rates(test["genuine"], test["impostor"], t)[1]


def choose_share(
    encodings: list[np.ndarray], names: list[str], tune: np.ndarray
) -> tuple[float, list[dict]]:
    table = []
    for share in SHARES:
        if share >= 1.0:
            continue  # dlib always counts: its part keeps templates comparable in kind
        enc = encoders.fuse(encodings, weights_for(share))
        test = cal.enrollment_test(enc, names, tune)
        table.append(
            {"share": share, "fnmr_1e-4": fnmr_at(test, 1e-4), "fnmr_1e-5": fnmr_at(test, 1e-5)}
        )
    best = min(table, key=lambda row: (row["fnmr_1e-4"], row["fnmr_1e-5"], row["share"]))
    return best["share"], table


def choose_margin(test: dict, threshold: float) -> float:
    base = cal.open_set(test, threshold, 0.0)["genuine_accepted_right"]
    kept = [
        m
        for m in MARGINS
        if cal.open_set(test, threshold, m)["genuine_accepted_right"] >= base - MARGIN_COST
    ]
    return float(max(kept))


def calibrate_record(ds: Dataset, specs: tuple[EncoderSpec, ...], detector: str) -> dict:
    """The calibrated record of the encoder configuration ``specs``."""
    encodings = parts(ds, specs, detector)
    tune, held = (
        cal.select(ds, "tune", detector=detector),
        cal.select(ds, "heldout", detector=detector),
    )
    table: list[dict] = []
    if len(specs) == 1:
        weights: tuple[float, ...] = (1.0,)
    else:
        share, table = choose_share(encodings, ds.names, tune)
        weights = weights_for(share)
    enc = encoders.fuse(encodings, weights) if len(specs) > 1 else encodings[0]
    tune_test = cal.enrollment_test(enc, ds.names, tune)
    derived = cal.threshold_at_fmr(tune_test["impostor"], TARGET)
    threshold = float(np.floor(derived * 1000) / 1000)
    held_test = cal.enrollment_test(enc, ds.names, held)
    fmr, fnmr = cal.rates(held_test["genuine"], held_test["impostor"], threshold)
    n_imp = len(held_test["impostor"])
    return {
        "encoders": [s.token for s in specs],
        "weights": [round(w, 6) for w in weights],
        "match_threshold": threshold,
        "match_margin": choose_margin(tune_test, threshold),
        "match_fmr": float(f"{(fmr if fmr > 0 else 3.0 / n_imp):.3g}"),
        "verify_threshold": threshold,
        "calibrated_with": {
            "data": ds.root.name,
            "split": "crc32(name) % 2, tune half (smilepay/faces/lab/split.py)",
            "detector": detector,
            "threshold_derived": round(derived, 5),
            "tune_fnmr_at_threshold": round(
                cal.rates(tune_test["genuine"], tune_test["impostor"], threshold)[1], 4
            ),
            "heldout_fmr_at_threshold": fmr,
            "heldout_fnmr_at_threshold": round(fnmr, 4),
            "heldout_impostor_comparisons": n_imp,
            "share_table": table,
        },
    }


def fingerprint(specs: tuple[EncoderSpec, ...]) -> str:
    return fingerprint_of(specs)
