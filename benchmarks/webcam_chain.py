"""The payment chain's steps other than the smile, on real webcam bursts of live people.

    .venv/bin/python benchmarks/webcam_chain.py [--distractors 0]

The genuine-burst figures in docs/faces-liveness.md come from LFW photo pairs (press
photos of different days), because ``../shared/faces`` holds no smiling webcam bursts
of enrolled people. NUAA's live captures (``pad-nuaa-dev/ClientRaw``: 640x480 webcam
frames of 7 people, several captures each on different days for 5 of them) are real
camera bursts of people who do not smile, so they measure every step of a genuine
payment but the smile challenge:

* enrolment: 3 frames of a person's first capture that can enrol (in each third of it,
  the first frame with one face passing the enrolment quality bar and ``spoof_check``,
  as the portal demands; one person's first capture is too dark throughout, so they
  enrol from their second, as they would retry in better light);
* probes: every 8-frame burst (consecutive kept frames, non-overlapping, as
  ``pad_accuracy.py`` cuts them) of that person's *other* captures (another day,
  glasses, pose): the two people with one capture only are probed on its later frames,
  reported apart;
* each probe, as the kiosk decides it: the best-quality face of the burst passes the pay
  quality bar, the burst passes ``spoof_check``, and the 1:N decision (``Gallery.search``
  + ``decide``, threshold and margin in force) names the right person; when it is
  ambiguous or finds no one, the kiosk asks for the phone's last digits and searches the
  customers they fit (here the person alone), as ``accounts.recognition`` does. A wrong
  person named is counted apart (``wrong_person``);
* the same probe, as online checkout decides it: the 1:1 check (``verify_distance``
  against the signed-in customer's own template).

The gallery holds the NUAA people and lfw-dev identities with 3 or more photos, enrolled
from their first 3 (cached encodings from ``benchmarks/accuracy_report.sh``; run it
first), up to the open-search budget (``max_identities_for_risk(0.01)``, the kiosk's
default: the largest gallery a kiosk searches without the digits), so the margin rule
meets as many other faces as it may; ``--distractors N`` sets their number. Uses the
configured encoders (``SMILEPAY_FACE_ENCODERS``).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pad_accuracy import BURST, captures

from smilepay.faces import (
    Gallery,
    analyze_rgb,
    decide,
    decode_image,
    max_identities_for_risk,
    spoof_check,
    verify_distance,
    verify_threshold,
)
from smilepay.faces import config as engine_config
from smilepay.faces.lab.calibrate import wilson_interval
from smilepay.faces.lab.dataset import Dataset, faces_dir

KIOSK_OPEN_SEARCH_RISK = 0.01  # settings.KIOSK_OPEN_SEARCH_MAX_RISK's default


def _faces(path: Path):
    rgb = decode_image(path.read_bytes())
    return rgb, analyze_rgb(rgb, want_smile=False)


def enrol(frames: list[Path]) -> tuple[list[np.ndarray], str]:
    """3 enrolment encodings from a capture: in each third of it, the first frame with one
    face that passes the enrolment quality bar and ``spoof_check`` (a customer retaking a
    refused photo); or why it cannot enrol."""
    third = len(frames) // 3
    encodings, why = [], "ok"
    for part in (frames[:third], frames[third : 2 * third], frames[2 * third :]):
        for path in part:
            rgb, faces = _faces(path)
            if len(faces) != 1:
                why = f"{path.name}: {len(faces)} faces"
            elif not faces[0].quality.ok_to_enroll:
                why = f"{path.name}: quality {faces[0].quality.reasons}"
            elif not spoof_check([rgb], faces=[faces[0]]).live:
                why = f"{path.name}: refused as a photo"
            else:
                encodings.append(faces[0].encoding)
                break
        else:
            return [], why
    return encodings, "ok"


def probe(frames: list[Path], person: str, gallery: Gallery, enrolled) -> tuple[str, str]:
    """(kiosk, online): 'open' (paid, open search), 'digits' (paid once the kiosk asked
    for the phone's last digits) or 'paid' (online 1:1), else the first step failed."""
    decoded = [_faces(path) for path in frames]
    best = [(faces[0].quality.score, k) for k, (_, faces) in enumerate(decoded) if len(faces) == 1]
    if not best:
        return "face", "face"
    _, k = max(best)
    face = decoded[k][1][0]
    if not face.quality.ok_to_pay:
        return "quality", "quality"
    rgbs = [rgb for rgb, _ in decoded]
    largest = [faces[0] if faces else None for _, faces in decoded]
    if not spoof_check(rgbs, faces=largest).live:
        return "pad", "pad"
    online = "paid" if verify_distance(face.encoding, enrolled) <= verify_threshold() else "1:1"
    decision = decide(gallery.search(face.encoding, k=2))
    if decision.matched:
        return ("open" if decision.identity_id == person else "wrong_person"), online
    # Ambiguous or no match: the kiosk asks for the last phone digits and searches the
    # customers they fit, here this person alone.
    alone = Gallery()
    alone.add(person, enrolled)
    return ("digits" if decide(alone.search(face.encoding)).matched else "1:N"), online


def distractors(gallery: Gallery, limit: int | None) -> int:
    """Enrol lfw-dev identities (first 3 photos) from the accuracy report's cache."""
    from smilepay.faces import encoders
    from smilepay.faces.lab import fusion

    loaded = engine_config.current()
    ds = Dataset.load(faces_dir() / "lfw-dev")
    parts = fusion.parts(ds, loaded.encoders, loaded.detector)
    encodings = encoders.fuse(parts, loaded.weights) if len(parts) > 1 else parts[0]
    by_name: dict[str, list[int]] = defaultdict(list)
    for k, name in enumerate(ds.names):
        by_name[name].append(k)
    names = [name for name, ks in sorted(by_name.items()) if len(ks) >= 3][:limit]
    gallery.add_many((f"lfw:{name}", encodings[by_name[name][:3]]) for name in names)
    return len(names)


def _row(label: str, outcomes: list[str], paid: tuple[str, ...]) -> str:
    n, ok = len(outcomes), sum(o in paid for o in outcomes)
    low, high = wilson_interval(ok, n) if n else (0.0, 0.0)
    split = ", ".join(f"{o} {outcomes.count(o)}" for o in paid) if len(paid) > 1 else ""
    failed = Counter(o for o in outcomes if o not in paid)
    reasons = ", ".join(f"{r} {c}" for r, c in failed.most_common()) or "none"
    ok_text = f"{ok} ({ok / max(n, 1):.1%})" + (f": {split}" if split else "")
    return f"| {label} | {n} | {ok_text} | {low:.1%}-{high:.1%} | {reasons} |"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--distractors",
        type=int,
        default=None,
        help="lfw-dev identities in the gallery (default: up to the open-search budget)",
    )
    args = parser.parse_args()
    engine_config.load()
    live = defaultdict(list)
    for (kind, person, capture), frames in captures().items():
        if kind == "live":
            live[person].append((capture, frames))
    gallery, templates = Gallery(), {}
    enrolled_from: dict[str, int] = {}
    for person, caps in sorted(live.items()):
        # The first capture the person can enrol from (in the portal: try again in
        # better light); the others are their probes.
        for index, (capture, frames) in enumerate(caps):
            encodings, why = enrol(frames)
            if encodings:
                gallery.add(person, encodings)
                templates[person], enrolled_from[person] = encodings, index
                break
            print(f"{person}: cannot enrol from {capture} ({why})")
    budget = max_identities_for_risk(KIOSK_OPEN_SEARCH_RISK)
    wanted = max(0, budget - len(templates)) if args.distractors is None else args.distractors
    extra = distractors(gallery, wanted) if wanted else 0
    results: dict[str, list[tuple[str, str]]] = {"cross": [], "same": []}
    for person, caps in sorted(live.items()):
        if person not in templates:
            continue
        if len(caps) > 1:
            runs = [frames for i, (_, frames) in enumerate(caps) if i != enrolled_from[person]]
            key = "cross"
        else:  # one capture: its frames after the enrolment's last third began
            frames = caps[0][1]
            runs, key = [frames[2 * (len(frames) // 3) + 1 :]], "same"
        for frames in runs:
            for i in range(0, len(frames) - BURST + 1, BURST):
                outcome = probe(frames[i : i + BURST], person, gallery, templates[person])
                results[key].append(outcome)
                if outcome != ("open", "paid"):
                    print(f"{person} {frames[i].name}: kiosk {outcome[0]}, online {outcome[1]}")
    print(
        f"configuration {engine_config.current().fingerprint}: {len(templates)} NUAA people "
        f"enrolled, {extra} lfw-dev distractors; open-search budget {budget} identities\n"
    )
    print("| probes | bursts | paid | 95% interval | failed at |")
    print("|---|---|---|---|---|")
    labels = {
        "cross": "other captures (another day, glasses or pose)",
        "same": "same capture, later frames (people with one capture)",
    }
    for key, label in labels.items():
        rows = results[key]
        print(_row(f"kiosk, {label}", [k for k, _ in rows], ("open", "digits")))
        print(_row(f"online 1:1, {label}", [o for _, o in rows], ("paid",)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
