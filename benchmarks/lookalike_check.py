"""The look-alike check on whole bursts: person swaps refused, genuine customers still paid.

    .venv/bin/python benchmarks/lookalike_check.py --half tuning    # choose the factor
    .venv/bin/python benchmarks/lookalike_check.py --half heldout   # measure it, once

Each lfw-dev person of the half with a labelled neutral and smiling photo (the labels
of `python -m smilepay.faces.lab.train_smile`, as in liveness_accuracy.py) and at least two
other photos is enrolled with up to three of those other photos (a normalised mean
template, as ``Gallery`` keeps it). Bursts are camera frames of photos
(``smilepay.faces.lab.bursts.challenge_burst``), under both challenges a ticket may carry
(neutral-smile and smile-neutral-smile):

- genuine: the person's own neutral and smiling photos (up to 4 pairs);
- person swap: the person's neutral photo, and the smiling photo of the most alike
  other person of the half (the smiling photo nearest to the person's template: the best
  accomplice this data allows).

A burst pays when liveness passes, the neutral frame matches the person's template
(``verify_distance <= verify_threshold()``, the same threshold as a kiosk match) and the
smiling face is within ``factor x verify_threshold()`` of it (the look-alike check,
``smilepay.faces.lookalike``). Printed per factor: genuine bursts paid, the check's own
cost among genuine bursts that passed liveness and matched, and swaps paid, with 95%
Wilson intervals. The factor is chosen on the tuning half, both challenges pooled: among
the factors at which at most 1% of swaps pay, the one with the fewest genuine refusals
(on a tie, the one that lets fewer swaps through); then measured once on the held-out
half.

Each burst is decided with the smile challenge's same-person limit lifted, so that a last
table can sweep that limit together with the factor (``LIMITS``): since the look-alike
check compares the smile with the matched customer's own template, the limit inside the
burst is no longer the only defence against a swap. The tables above it are the shipped
limit's.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import multiprocessing
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from liveness_accuracy import labelled_people, labels_confirmed

from smilepay.faces import analyze, liveness, verify_distance, verify_threshold
from smilepay.faces.challenge import fixed_challenge
from smilepay.faces.config import current as engine_config
from smilepay.faces.lab import bursts
from smilepay.faces.lab.calibrate import wilson_interval
from smilepay.faces.lab.train_smile import in_half, lfw_paths

FACTORS = (1.0, 1.05, 1.10, 1.15, 1.20, 1.30, 1.50, None)  # None: no look-alike check
PATTERNS = ("neutral-smile", "smile-neutral-smile")
# The module, not the function of the same name that smilepay.faces exports.
liveness_module = importlib.import_module("smilepay.faces.liveness")
# Same-person limits swept with the factors (None: no limit). Each burst is decided once
# with the limit lifted, so that what the smile rules say past it is known; a burst passes
# at limit L when it passed and its same-person distance is <= L (the rule comes first).
LIMITS = (0.39, 0.42, 0.45, 0.50, None)
SHIPPED_LIMIT = engine_config().same_person_max_distance


def _encoding(path: str) -> np.ndarray | None:
    faces = analyze(Path(path).read_bytes(), want_smile=False)
    return faces[0].encoding if faces else None


def enrolments(people, half: str, workers: int) -> dict[str, list[np.ndarray]]:
    """Up to three photos of each person that no burst uses, encoded."""
    used = {p for neutral, smiling in people.values() for p in neutral + smiling}
    others: dict[str, list[str]] = defaultdict(list)
    for path in map(Path, lfw_paths(half)):
        if path.parent.name in people and path not in used and in_half(path.parent.name, half):
            others[path.parent.name].append(str(path))
    picks = {name: paths[:3] for name, paths in others.items() if len(paths) >= 2}
    flat = [p for paths in picks.values() for p in paths]
    with multiprocessing.Pool(workers) as pool:
        encoded = dict(zip(flat, pool.map(_encoding, flat, chunksize=4), strict=True))
    out = {}
    for name, paths in picks.items():
        encs = [encoded[p] for p in paths if encoded[p] is not None]
        if len(encs) >= 2:
            out[name] = encs
    return out


def plan(people, enrolled, workers: int, per_person: int = 4):
    """(kind, person, neutral, smiling, pattern) for every burst to decide."""
    names = sorted(enrolled)
    smiling = [(name, photo) for name in names for photo in people[name][1]]
    with multiprocessing.Pool(workers) as pool:
        smiling_enc = pool.map(_encoding, [str(p) for _, p in smiling], chunksize=4)
    items = []
    for name in names:
        neutral, own_smiling = people[name]
        for n, s in list(itertools.product(neutral, own_smiling))[:per_person]:
            items += [("genuine", name, n, s, pattern) for pattern in PATTERNS]
        template = enrolled[name]
        strangers = [
            (verify_distance(enc, template), photo)
            for (other, photo), enc in zip(smiling, smiling_enc, strict=True)
            if other != name and enc is not None
        ]
        alike = min(strangers, key=lambda pair: pair[0])[1]
        for n in neutral:
            items += [("swap", name, n, alike, pattern) for pattern in PATTERNS]
    return items


def decide(item, enrolled):
    kind, name, neutral, smiling, pattern = item
    challenge = fixed_challenge(pattern)
    seed = zlib.crc32(f"{neutral}|{smiling}|{pattern}".encode())
    frames, _ = bursts.challenge_burst(neutral, smiling, challenge, rng=np.random.default_rng(seed))
    result = liveness(frames, expressions=challenge.expressions())
    template = enrolled[name]
    neutral_d = verify_distance(result.encoding, template) if result.encoding is not None else None
    smile_d = (
        verify_distance(result.smile_encoding, template)
        if result.smile_encoding is not None
        else None
    )
    return (
        kind,
        pattern,
        result.passed,
        result.reason,
        neutral_d,
        smile_d,
        result.same_person_distance,
    )


def _decide_star(args):
    return decide(*args)


def at_limit(row, limit: float | None):
    """A burst decided with the same-person limit lifted, as it is decided at ``limit``."""
    kind, pattern, passed, reason, neutral_d, smile_d, same_d = row
    if limit is not None and same_d is not None and same_d > limit:
        passed, reason = False, "person_changed"
    return kind, pattern, passed, reason, neutral_d, smile_d


def report(raw_rows, half: str) -> None:
    threshold = verify_threshold()
    shipped = engine_config().smile_match_factor
    rows = [at_limit(r, SHIPPED_LIMIT) for r in raw_rows]
    print(
        f"{half} half: verify_threshold {threshold:.3f}; shipped factor {shipped}; "
        f"same-person limit {SHIPPED_LIMIT}"
    )
    for pattern in (*PATTERNS, "both"):
        subset = [r for r in rows if pattern in ("both", r[1])]
        genuine = [r for r in subset if r[0] == "genuine"]
        swaps = [r for r in subset if r[0] == "swap"]
        matched = [r for r in genuine if r[2] and r[4] is not None and r[4] <= threshold]
        live = sum(1 for r in genuine if r[2])
        print(f"\n{pattern}: {len(genuine)} genuine bursts, {len(swaps)} swaps")
        print(f"smile challenge alone, genuine bursts passed: {_rate(live, len(genuine))}")
        print(
            "| factor | smile threshold | genuine paid "
            "| check's cost (of genuine live + matched) | swaps paid |"
        )
        print("|---|---|---|---|---|")
        for factor in FACTORS:
            limit = np.inf if factor is None else factor * threshold
            g = sum(_paid(r, threshold, limit) for r in genuine)
            s = sum(_paid(r, threshold, limit) for r in swaps)
            cost = len(matched) - sum(_paid(r, threshold, limit) for r in matched)
            label = "none" if factor is None else f"{factor:.2f}"
            shown = "-" if factor is None else f"{limit:.3f}"
            print(
                f"| {label} | {shown} | {_rate(g, len(genuine))} "
                f"| {_rate(cost, len(matched))} | {_rate(s, len(swaps))} |"
            )
    reasons = defaultdict(lambda: defaultdict(int))
    for r in rows:
        reasons[r[0]][r[3]] += 1
    for kind, counts in reasons.items():
        print(
            f"liveness reasons, {kind}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )


def sweep(raw_rows) -> None:
    """Same-person limit and factor together, both challenges pooled: every pair's rates,
    then the factor's rule applied to both (among the pairs at which at most 1% of swaps
    pay, the most genuine bursts paid; on a tie the fewer swaps, then the stricter limit
    and factor), and the best pair that lets no more swaps through than the shipped one."""
    threshold = verify_threshold()
    print("\n| same-person limit | factor | genuine paid | swaps paid |")
    print("|---|---|---|---|")
    candidates = []
    for limit in LIMITS:
        rows = [at_limit(r, limit) for r in raw_rows]
        genuine = [r for r in rows if r[0] == "genuine"]
        swaps = [r for r in rows if r[0] == "swap"]
        for factor in FACTORS:
            smile_limit = np.inf if factor is None else factor * threshold
            g = sum(_paid(r, threshold, smile_limit) for r in genuine)
            s = sum(_paid(r, threshold, smile_limit) for r in swaps)
            print(
                f"| {'none' if limit is None else limit} | {'none' if factor is None else factor} "
                f"| {_rate(g, len(genuine))} | {_rate(s, len(swaps))} |"
            )
            if s <= 0.01 * len(swaps):
                strictness = (
                    np.inf if limit is None else limit,
                    np.inf if factor is None else factor,
                )
                candidates.append((-g, s, strictness, limit, factor))
    if not candidates:
        return
    by_rule = min(candidates, key=lambda c: c[:3])
    print(f"\nthe factor's rule applied to both: limit {by_rule[3]}, factor {by_rule[4]}")
    shipped_pair = (SHIPPED_LIMIT, engine_config().smile_match_factor)
    shipped = next((c for c in candidates if c[3:] == shipped_pair), None)
    if shipped is not None:
        best = min((c for c in candidates if c[1] <= shipped[1]), key=lambda c: c[:3])
        print(f"most genuine at no more swaps than shipped: limit {best[3]}, factor {best[4]}")


def _paid(row, threshold: float, limit: float) -> bool:
    _, _, passed, _, neutral_d, smile_d = row
    return bool(
        passed
        and neutral_d is not None
        and neutral_d <= threshold
        and smile_d is not None
        and smile_d <= limit
    )


def _rate(hits: int, total: int) -> str:
    low, high = wilson_interval(hits, total)
    return f"{hits}/{total} = {100 * hits / max(total, 1):.1f}% ({100 * low:.1f}-{100 * high:.1f}%)"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=["heldout", "tuning"], default="tuning")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--audit",
        type=Path,
        help="also report the genuine bursts whose photos a blind look agreed with "
        "(benchmarks/data/liveness_audit_heldout.json)",
    )
    args = parser.parse_args()
    people = labelled_people(args.half)
    enrolled = enrolments(people, args.half, args.workers)
    items = plan(people, enrolled, args.workers)
    print(f"{len(enrolled)} people enrolled; {len(items)} bursts")
    # Lifted in the workers (forked after this line); ``at_limit`` puts it back per row.
    liveness_module.same_person_limit = lambda: np.inf
    with multiprocessing.Pool(args.workers) as pool:
        rows = pool.map(_decide_star, [(item, enrolled) for item in items], chunksize=4)
    report(rows, args.half)
    sweep(rows)
    if args.audit:
        audit = json.loads(args.audit.read_text())
        confirmed = [
            (item, row)
            for item, row in zip(items, rows, strict=True)
            if labels_confirmed(audit, item[2], item[3])
        ]
        audited_report(confirmed)
    return 0


def audited_report(confirmed) -> None:
    """The shipped chain on genuine bursts whose labels the blind look confirmed: the
    "neutral" photo does not smile and the smiling one does. Each burst not paid is
    listed, with its same-person distance and its neutral face's distance to the
    template."""
    threshold = verify_threshold()
    smile_limit = engine_config().smile_match_factor * threshold
    confirmed = [(item, row) for item, row in confirmed if row[0] == "genuine"]
    rows = [at_limit(row, SHIPPED_LIMIT) for _, row in confirmed]
    live = sum(1 for r in rows if r[2])
    paid = sum(_paid(r, threshold, smile_limit) for r in rows)
    reasons = defaultdict(int)
    for r in rows:
        reasons[r[3]] += 1
    print(f"\ngenuine, labels confirmed by the blind look: {len(rows)} bursts")
    print(f"smile challenge alone: {_rate(live, len(rows))}")
    print(f"whole chain paid: {_rate(paid, len(rows))}")
    print("liveness reasons: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    for (item, raw), row in zip(confirmed, rows, strict=True):
        if not _paid(row, threshold, smile_limit):
            _, _, neutral, smiling, pattern = item
            same, to_template = raw[6], raw[4]
            print(
                f"  not paid: {neutral.name} then {smiling.name} ({pattern}): {row[3]}, "
                f"same-person {_num(same)}, neutral to template {_num(to_template)}"
            )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
