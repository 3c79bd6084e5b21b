"""How often liveness passes genuine bursts and each attack, on people it was not tuned on.

    .venv/bin/python benchmarks/liveness_accuracy.py [--half heldout|tuning] [--bursts 4]
        [--repeats 3] [--workers 2] [--dump FILE.jsonl]
        [--audit benchmarks/data/liveness_audit_heldout.json] [--scenarios standard|wide|all]
        [--only genuine,person_changed]

Bursts are built from real lfw-dev photos (smilepay.faces.lab.bursts): a genuine burst is
four camera frames of a neutral photo of a person followed by four of a smiling photo
of the same person. Which photos are neutral or smiling comes from the SMILEsmileD
labels (human labels, matched to lfw-dev photos by `python -m smilepay.faces.lab.train_smile`,
which must have run once: it writes .cache/faces/lfw_smile_labels.v2.json). Identities are
split in halves by `smilepay.faces.lab.split.half_of`; thresholds were tuned on the other
half and the smile model never trained on the held-out half's photos.

`--scenarios wide` attacks with far more photos, so that a pass rate of at most 1% can
be shown and not only measured: every one-face photo of the half is held up, replayed and
re-encoded (an attack needs no smile label), and every neutral photo is followed by the
smiling photos of 5 other people and of the most alike other person (the nearest
encoding: a look-alike accomplice, the hardest swap this data allows).

`--audit` adds a row for the genuine bursts whose photos a blind look agreed with
(benchmarks/data/liveness_audit_heldout.json: every photo of a held-out genuine burst,
shown shuffled and without label or outcome, marked smiling / not_smiling / unclear).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smilepay.faces import analyze, liveness
from smilepay.faces.lab import bursts
from smilepay.faces.lab.calibrate import wilson_interval
from smilepay.faces.lab.dataset import cache_dir, faces_dir
from smilepay.faces.lab.split import in_half
from smilepay.faces.lab.train_smile import lfw_paths


def one_face(path: Path) -> bool:
    """One face in the photo, and in a camera frame of it (the detector sees the frame at
    another scale and sometimes finds the neighbour that LFW's crop cut in half)."""
    photo = path.read_bytes()
    (frame,) = bursts.camera_frames(photo, 1, rng=np.random.default_rng(0))
    counts = [len(analyze(img, want_encoding=False, want_smile=False)) for img in (photo, frame)]
    return counts == [1, 1]


def labelled_people(half: str) -> dict[str, tuple[list[Path], list[Path]]]:
    """People with both a neutral and a smiling photo. Photos in which LFW's crop shows
    a second face are left out: a burst stands for one customer alone at the camera."""
    labels = json.loads((cache_dir() / "lfw_smile_labels.v2.json").read_text())
    people: dict[str, tuple[list[Path], list[Path]]] = defaultdict(lambda: ([], []))
    for rel, info in sorted(labels.items()):
        name = rel.split("/")[0]
        path = faces_dir() / "lfw-dev" / rel
        if in_half(name, half) and one_face(path):
            people[name][info["smiling"]].append(path)
    return {name: pair for name, pair in people.items() if pair[0] and pair[1]}


def half_photos(half: str, workers: int) -> list[Path]:
    """Every lfw-dev photo of the half that shows one face (no smile label needed)."""
    paths = [Path(path) for path in lfw_paths(half)]
    with multiprocessing.Pool(workers) as pool:
        keep = pool.map(one_face, paths, chunksize=16)
    return [path for path, ok in zip(paths, keep, strict=True) if ok]


def _encoding(path: Path) -> np.ndarray:
    return analyze(path.read_bytes(), want_smile=False)[0].encoding


def swap_partners(people, rng, workers: int, swaps: int = 5):
    """For each neutral photo: the smiling photos of ``swaps`` other people, and of the
    other person whose smiling photo is nearest by encoding. Worked out before any burst
    is decided, so the pool that decides them never forks from its feeder thread."""
    smiling = [(name, photo) for name in sorted(people) for photo in people[name][1]]
    neutral = [(name, photo) for name in sorted(people) for photo in people[name][0]]
    with multiprocessing.Pool(workers) as pool:
        encodings = pool.map(_encoding, [photo for _, photo in smiling + neutral])
    smiling_enc = np.array(encodings[: len(smiling)])
    partners = []
    for (name, photo), encoding in zip(neutral, encodings[len(smiling) :], strict=True):
        others = [i for i, (other, _) in enumerate(smiling) if other != name]
        picked = rng.choice(others, size=min(swaps, len(others)), replace=False)
        nearest = others[int(np.argmin(np.linalg.norm(smiling_enc[others] - encoding, axis=1)))]
        partners.append((photo, [smiling[i][1] for i in picked], smiling[nearest][1]))
    return partners


def wide_attacks(photos: list[Path], partners, rng):
    """Attacks on every photo of the half, and swaps to several and to the most alike
    other people (see the module docstring)."""
    for photo in photos:
        yield "any_held_photo", bursts.held_photo_burst(photo, rng=rng), ()
        yield "any_replayed_photo", bursts.replayed_photo_burst(photo), ()
        yield "any_reencoded_photo", bursts.reencoded_photo_burst(photo), ()
    for neutral, others, alike in partners:
        for other in others:
            yield "person_changed_x5", bursts.person_change_burst(neutral, other, rng=rng), ()
        yield "person_changed_lookalike", bursts.person_change_burst(neutral, alike, rng=rng), ()


def scenarios(people, per_person: int, rng, repeats: int = 1):
    """Genuine bursts (up to ``per_person`` neutral/smiling photo pairs per person) and
    every attack for every photo of the person (the held photos ``repeats`` times, with
    fresh camera jitter each time), so that each attack has hundreds of bursts: a pass
    rate of at most 1% needs that many to be told apart from 0."""
    names = sorted(people)
    for index, name in enumerate(names):
        neutral, smiling = people[name]
        other = people[names[(index + 1) % len(names)]]
        pairs = list(itertools.product(neutral, smiling))[:per_person]
        for n, s in pairs:
            yield "genuine", bursts.genuine_burst(n, s, rng=rng), (n, s)
        for photo in smiling:
            for _ in range(repeats):
                yield "held_smiling_photo", bursts.held_photo_burst(photo, rng=rng), ()
            yield "replayed_photo", bursts.replayed_photo_burst(photo), ()
        for photo in neutral:
            for _ in range(repeats):
                yield "held_neutral_photo", bursts.held_photo_burst(photo, rng=rng), ()
            yield "reencoded_photo", bursts.reencoded_photo_burst(photo), ()
            yield (
                "person_changed",
                bursts.person_change_burst(photo, other[1][0], rng=rng),
                (),
            )
        n, s = pairs[0]
        yield (
            "too_few_frames",
            bursts.genuine_burst(n, s, rng=rng, neutral_frames=2, smiling_frames=1),
            (),
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=["heldout", "tuning"], default="heldout")
    parser.add_argument("--bursts", type=int, default=4, help="genuine bursts per person")
    parser.add_argument(
        "--repeats", type=int, default=3, help="held-photo bursts per photo (fresh jitter)"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes deciding bursts")
    parser.add_argument(
        "--audit",
        type=Path,
        help="JSON {photo: smiling|not_smiling|unclear} of a blind look at the photos; "
        "also report genuine bursts whose two photos it agrees with",
    )
    parser.add_argument("--dump", type=Path, help="write per-burst details as JSON lines")
    parser.add_argument(
        "--only",
        help="comma-separated scenarios to decide (e.g. genuine,person_changed, to re-measure "
        "the same-person limit); the others are still built, so the bursts stay the same",
    )
    parser.add_argument(
        "--scenarios",
        choices=["standard", "wide", "all"],
        default="standard",
        help="wide: attacks with every photo of the half and look-alike swaps",
    )
    args = parser.parse_args()
    people = labelled_people(args.half)
    rng = np.random.default_rng(7)
    plan = []
    if args.scenarios in ("standard", "all"):
        plan.append(scenarios(people, args.bursts, rng, args.repeats))
    if args.scenarios in ("wide", "all"):
        photos = half_photos(args.half, args.workers)
        print(f"wide attacks: {len(photos)} one-face photos of the {args.half} half")
        partners = swap_partners(people, rng, args.workers)
        plan.append(wide_attacks(photos, partners, rng))
    passed: Counter = Counter()
    total: Counter = Counter()
    reasons: dict[str, Counter] = defaultdict(Counter)
    dump = args.dump.open("w") if args.dump else None
    # Bursts are built here, in order, so the random camera jitter does not depend on
    # how many processes decide them.
    audit = json.loads(args.audit.read_text()) if args.audit else None
    work = itertools.chain(*plan)
    if args.only:
        wanted = set(args.only.split(","))
        work = (item for item in work if item[0] in wanted)
    with multiprocessing.Pool(args.workers) as pool:
        for scenario, result, photos in pool.imap(_decide, work, chunksize=4):
            _count(scenario, result, passed, total, reasons, dump)
            if audit is not None and scenario == "genuine" and labels_confirmed(audit, *photos):
                _count("genuine (audited)", result, passed, total, reasons, None)
    _report(args.half, people, passed, total, reasons)
    return 0


def _decide(item):
    scenario, frames, photos = item
    return scenario, liveness(frames), photos


def labels_confirmed(audit: dict[str, str], neutral: Path, smiling: Path) -> bool:
    """Both photos look as labelled to the audit: neutral really not smiling, smiling
    really smiling (the SMILEsmileD labels are wrong for ~13% of 'neutral' photos)."""
    key = lambda path: f"{path.parent.name}/{path.name}"  # noqa: E731
    return audit.get(key(neutral)) == "not_smiling" and audit.get(key(smiling)) == "smiling"


def _count(scenario, result, passed, total, reasons, dump) -> None:
    total[scenario] += 1
    passed[scenario] += result.passed
    reasons[scenario][result.reason] += 1
    if dump:
        row = {
            "scenario": scenario,
            "reason": result.reason,
            "smiles": [None if np.isnan(s) else round(s, 3) for s in result.smiles],
            "rises": result.rises,
            "distance": result.same_person_distance,
            "difference": result.frame_difference,
        }
        dump.write(json.dumps(row) + "\n")


def _report(half, people, passed, total, reasons) -> None:
    print(f"liveness on the {half} half: {len(people)} people with neutral + smiling photos")
    print(f"{'scenario':<20} {'bursts':>6} {'passed':>7} {'95% interval':>15}  reasons")
    for scenario in total:
        rate = passed[scenario] / total[scenario]
        low, high = wilson_interval(passed[scenario], total[scenario])
        print(
            f"{scenario:<20} {total[scenario]:>6} {rate:>7.1%} {low:>6.1%} - {high:<6.1%}  "
            + ", ".join(f"{r} {c}" for r, c in reasons[scenario].most_common())
        )
    print(
        "Held-photo bursts repeat each photo with fresh jitter, so their intervals are "
        "narrower than the photos alone support."
    )


if __name__ == "__main__":
    raise SystemExit(main())
