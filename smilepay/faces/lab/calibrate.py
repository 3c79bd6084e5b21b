"""Calibration and accuracy measurement on identity folders (LFW layout).

Everything here works on cached raw descriptors (``dataset.engine_descriptors``) so a
calibration run after the first takes seconds. Identities are split by the one fixed
rule (``split.half_of``): thresholds are tuned on the 'tune' half only and reported on
the 'heldout' half.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from .. import encode
from .dataset import Dataset, engine_descriptors, usable
from .split import half_of

FMR_TARGETS = (1e-2, 1e-3, 1e-4, 1e-5)
# LFW files one person under two names: comparisons between these are neither genuine
# nor impostor (at FMR 1e-5 the 2 such "impostors" alone set the threshold).
SAME_PERSON = (frozenset({"Joseph_Blatter", "Sepp_Blatter"}),)


def _aliases(a: str, b: str) -> bool:
    return a != b and any({a, b} <= group for group in SAME_PERSON)


def engine_encodings(
    ds: Dataset,
    *,
    flip: bool = encode.FLIP,
    normalize: bool = encode.NORMALIZE,
    detector: str | None = None,
):
    """dlib encodings of every image (the dlib part of any configuration)."""
    raw = engine_descriptors(ds, detector=detector)
    return encode.combine(raw["plain"], raw["mirror"] if flip else None, normalize=normalize)


def select(ds: Dataset, half: str, *, detector: str | None = None) -> np.ndarray:
    """Usable images whose identity is in ``half`` ('tune', 'heldout' or 'all')."""
    if half not in ("tune", "heldout", "all"):
        raise ValueError("half must be 'tune', 'heldout' or 'all'")
    ok = usable(ds, engine_descriptors(ds, detector=detector))
    return np.array(
        [k for k, n in enumerate(ds.names) if ok[k] and (half == "all" or half_of(n) == half)],
        dtype=np.int64,
    )


def pairwise(enc: np.ndarray, names: list[str], idx: np.ndarray):
    """All genuine and impostor distances among the images ``idx`` (one per pair)."""
    x = enc[idx].astype(np.float64)
    sq = (x * x).sum(1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0))
    lab = np.array([names[k] for k in idx])
    iu = np.triu_indices(len(idx), 1)
    same = lab[iu[0]] == lab[iu[1]]
    alias = np.zeros_like(same)
    for group in SAME_PERSON:
        members = np.isin(lab, list(group))
        alias |= members[iu[0]] & members[iu[1]] & ~same
    dist = d[iu]
    return dist[same], dist[~same & ~alias]


def rates(genuine: np.ndarray, impostor: np.ndarray, t: float) -> tuple[float, float]:
    """(FMR, FNMR) at threshold ``t`` (match when distance <= t)."""
    fmr = float((impostor <= t).mean()) if len(impostor) else 0.0
    fnmr = float((genuine > t).mean()) if len(genuine) else 0.0
    return fmr, fnmr


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a rate measured as ``successes`` of ``trials``.

    A rate at 1e-4 rests on a couple of dozen impostor comparisons, and a pass rate of
    0 of 186 still allows 2%: the interval says how far the point figure may be off."""
    if trials <= 0:
        return 0.0, 1.0
    rate = successes / trials
    scale = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / scale
    spread = z * np.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / scale
    return max(0.0, float(centre - spread)), min(1.0, float(centre + spread))


def threshold_at_fmr(impostor: np.ndarray, target: float) -> float:
    """Largest threshold whose FMR is <= ``target`` (strictly below the next impostor)."""
    s = np.sort(impostor)
    allowed = int(np.floor(target * len(s)))  # impostors allowed to match
    if allowed >= len(s):
        return float(s[-1])
    # Match is d <= t, so stay just below the (allowed+1)-th smallest impostor distance.
    return float(np.nextafter(s[allowed], -np.inf))


def roc(genuine: np.ndarray, impostor: np.ndarray, points: int = 400):
    """(thresholds, FMR, FNMR) arrays over the range of observed distances."""
    lo = float(min(genuine.min(), impostor.min()))
    hi = float(max(genuine.max(), impostor.max()))
    ts = np.linspace(lo, hi, points)
    imp = np.sort(impostor)
    gen = np.sort(genuine)
    fmr = np.searchsorted(imp, ts, side="right") / len(imp)
    fnmr = 1 - np.searchsorted(gen, ts, side="right") / len(gen)
    return ts, fmr, fnmr


def read_pairs(ds: Dataset, pairs_file: Path | str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index_a, index_b, same) from an LFW pairs file (first line = counts)."""
    a, b, same = [], [], []
    lines = Path(pairs_file).read_text().splitlines()[1:]
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 3:
            a.append(ds.index_of(parts[0], int(parts[1])))
            b.append(ds.index_of(parts[0], int(parts[2])))
            same.append(True)
        elif len(parts) == 4:
            a.append(ds.index_of(parts[0], int(parts[1])))
            b.append(ds.index_of(parts[2], int(parts[3])))
            same.append(False)
    return np.array(a), np.array(b), np.array(same)


def ten_fold_accuracy(dist: np.ndarray, same: np.ndarray, folds: int = 10) -> dict:
    """LFW protocol: for each fold, the best threshold on the other nine, tested on it.

    Pairs are dealt to folds round-robin within the genuine and impostor lists, so each
    fold has the same mix.
    """
    fold = np.zeros(len(dist), int)
    for flag in (True, False):
        where = np.flatnonzero(same == flag)
        fold[where] = np.arange(len(where)) % folds
    accs, ths = [], []
    for f in range(folds):
        train = fold != f
        # Midpoints between neighbouring training distances: the boundary sits in the gap.
        u = np.unique(dist[train])
        cand = np.concatenate([[u[0] - 1e-6], (u[:-1] + u[1:]) / 2, [u[-1] + 1e-6]])
        acc_train = [((dist[train] <= t) == same[train]).mean() for t in cand]
        t = float(cand[int(np.argmax(acc_train))])
        ths.append(t)
        accs.append(float(((dist[~train] <= t) == same[~train]).mean()))
    return {
        "accuracy": float(np.mean(accs)),
        "std": float(np.std(accs)),
        "thresholds": [round(t, 4) for t in ths],
    }


def pair_distances(enc: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(enc[a].astype(np.float64) - enc[b].astype(np.float64), axis=1)


def enrollment_split(names: list[str], idx: np.ndarray, n_enroll: int = 3):
    """Identities with more than ``n_enroll`` images enroll their first ``n_enroll``;
    their other images are genuine probes. Every non-enrolled image (including those of
    identities with too few images, who play unknown customers) is an impostor probe for
    every enrolled identity but its own.
    """
    by_name: dict[str, list[int]] = defaultdict(list)
    for k in idx:
        by_name[names[k]].append(int(k))
    enrolled: dict[str, list[int]] = {}
    probes: list[int] = []
    for name, ks in sorted(by_name.items()):
        if len(ks) > n_enroll:
            enrolled[name] = ks[:n_enroll]
            probes.extend(ks[n_enroll:])
        else:
            probes.extend(ks)
    return enrolled, probes


def idx_of(enrolled: dict[str, list[int]]) -> list[int]:
    return [k for ks in enrolled.values() for k in ks]


def template_distances(
    enc: np.ndarray,
    names: list[str],
    enrolled: dict[str, list[int]],
    probes: list[int],
    combine: str,
):
    """Matrix (probes x identities) of identity-level distances, and the identity names.

    ``combine``: 'mean' = distance to the mean template, normalised for unit encodings
    (what Gallery does),
    'min' = smallest distance to any enrolled image, 'avg' = mean of the distances.
    """
    ids = sorted(enrolled)
    p = enc[probes].astype(np.float64)
    if combine == "mean":
        t = np.stack([enc[enrolled[n]].mean(0) for n in ids]).astype(np.float64)
        if np.allclose(np.linalg.norm(enc[idx_of(enrolled)], axis=1), 1.0, atol=1e-3):
            # Unit encodings (the engine's): the template is a direction too, as in Gallery.
            # Raw encodings (plain face_recognition) keep the arithmetic mean.
            t /= np.linalg.norm(t, axis=1, keepdims=True)
        return np.linalg.norm(p[:, None, :] - t[None, :, :], axis=2), ids
    rows = [k for n in ids for k in enrolled[n]]
    owner = np.repeat(np.arange(len(ids)), [len(enrolled[n]) for n in ids])
    t = enc[rows].astype(np.float64)
    d = np.sqrt(np.maximum((p * p).sum(1)[:, None] + (t * t).sum(1)[None] - 2 * p @ t.T, 0))
    out = np.empty((len(probes), len(ids)))
    for j in range(len(ids)):
        cols = d[:, owner == j]
        out[:, j] = cols.min(1) if combine == "min" else cols.mean(1)
    return out, ids


def enrollment_test(
    enc: np.ndarray, names: list[str], idx: np.ndarray, *, combine: str = "mean", n_enroll: int = 3
) -> dict:
    """Genuine / impostor identity-level distances and 1:N ranks for the enrolment test."""
    enrolled, probes = enrollment_split(names, idx, n_enroll)
    d, ids = template_distances(enc, names, enrolled, probes, combine)
    col = {n: j for j, n in enumerate(ids)}
    own = np.array([col.get(names[k], -1) for k in probes])
    mask = np.ones_like(d, bool)
    has = own >= 0
    mask[np.flatnonzero(has), own[has]] = False
    listed = set().union(*SAME_PERSON)
    for r in (r for r, k in enumerate(probes) if names[k] in listed):
        for c in (c for c, name in enumerate(ids) if name in listed):
            if _aliases(names[probes[r]], ids[c]):
                mask[r, c] = False
    genuine = d[np.flatnonzero(has), own[has]]
    impostor = d[mask]
    return {
        "genuine": genuine,
        "impostor": impostor,
        "matrix": d,
        "own": own,
        "identities": len(ids),
        "probes": len(probes),
        "genuine_probes": int(has.sum()),
    }


def open_set(test: dict, threshold: float, margin: float) -> dict:
    """1:N outcome rates with the threshold and margin rule (the payment decision)."""
    d, own = test["matrix"], test["own"]
    order = np.argsort(d, axis=1)
    best = d[np.arange(len(d)), order[:, 0]]
    second = d[np.arange(len(d)), order[:, 1]] if d.shape[1] > 1 else np.full(len(d), np.inf)
    accept = (best <= threshold) & (second - best >= margin)
    right = order[:, 0] == own
    genuine = own >= 0
    return {
        "genuine_accepted_right": float((accept & right & genuine).sum() / max(genuine.sum(), 1)),
        "genuine_accepted_wrong": float((accept & ~right & genuine).sum() / max(genuine.sum(), 1)),
        "genuine_refused": float((~accept & genuine).sum() / max(genuine.sum(), 1)),
        "unknown_accepted": float((accept & ~genuine).sum() / max((~genuine).sum(), 1)),
        "genuine_probes": int(genuine.sum()),
        "unknown_probes": int((~genuine).sum()),
    }


def summary(genuine: np.ndarray, impostor: np.ndarray, thresholds) -> dict:
    out = {
        "genuine_comparisons": len(genuine),
        "impostor_comparisons": len(impostor),
        "at_threshold": [],
        "at_fmr": [],
    }
    for t in thresholds:
        fmr, fnmr = rates(genuine, impostor, t)
        out["at_threshold"].append({"threshold": round(float(t), 4), "fmr": fmr, "fnmr": fnmr})
    for target in FMR_TARGETS:
        if target * len(impostor) < 1:
            continue  # not enough impostor comparisons to measure this FMR
        t = threshold_at_fmr(impostor, target)
        fmr, fnmr = rates(genuine, impostor, t)
        out["at_fmr"].append(
            {"target_fmr": target, "threshold": round(t, 4), "fmr": fmr, "fnmr": fnmr}
        )
    return out
