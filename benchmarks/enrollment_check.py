"""Enrollment figures on the shared photos: captures needed, self-check success, duplicate
refusals, and the time one server-side capture check takes.

    .venv/bin/python benchmarks/enrollment_check.py            # 120 LFW identities
    .venv/bin/python benchmarks/enrollment_check.py --identities 300 --captures 3

It applies the rules of accounts/enrollment.py with the engine directly (no database):
a capture is accepted when the picture has exactly one face (a second face at least half
as large refuses it), `quality.ok_to_enroll`, and it is within `match_threshold()` of an
earlier accepted capture. Each LFW identity's photos are tried in order as successive
captures until `--captures` are accepted; the next photo that passes the pay quality bar
is the self-check, which must be within the threshold of the captures. Then every
enrolled identity's first capture is searched against all the *other* identities'
templates: a hit is an enrollment that would be refused as a duplicate.

Timing: `analyze` with the encoding (the capture check) and without it (the live
guidance check) on the face_recognition Obama portraits at 240p to 1080p, after warm-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smilepay.faces import Gallery, analyze, compare, match_threshold

FACES = Path(os.environ.get("SMILEPAY_FACES_DIR", Path(__file__).parents[2] / "shared" / "faces"))


def check(image: bytes, *, purpose: str = "enroll"):
    faces = analyze(image, want_smile=False, max_faces=2)
    if not faces:
        return None, ["no_face"]
    if len(faces) > 1 and faces[1].size >= 0.5 * faces[0].size:
        return None, ["many_faces"]
    quality = faces[0].quality
    reasons = list(quality.reasons if purpose == "enroll" else quality.pay_reasons)
    return (faces[0].encoding if not reasons else None), reasons


def timing() -> None:
    examples = FACES / "face_recognition_examples" / "examples"
    print("time per check (ms), median of 5 after warm-up")
    print(f"{'image':<22}{'capture check':>15}{'guidance check':>16}")
    analyze((examples / "obama.jpg").read_bytes(), want_smile=False)  # load the models
    for name in ["obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"]:
        data = (examples / name).read_bytes()
        full, light = [], []
        for _ in range(5):
            t = time.perf_counter()
            analyze(data, want_smile=False, max_faces=2)
            full.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            analyze(data, want_smile=False, want_encoding=False, max_faces=2)
            light.append((time.perf_counter() - t) * 1000)
        print(f"{name:<22}{statistics.median(full):>15.0f}{statistics.median(light):>16.0f}")


def enrollment(identities: int, captures: int) -> None:
    root = FACES / "lfw-dev"
    people = sorted(
        p for p in root.iterdir() if p.is_dir() and len(list(p.glob("*.jpg"))) >= captures + 1
    )[:identities]
    threshold = match_threshold()
    attempts_needed: list[int] = []
    refused = Counter()
    self_ok = 0
    not_enrolled = 0
    templates: dict[str, list[np.ndarray]] = {}
    check_ms: list[float] = []
    for person in people:
        photos = sorted(person.glob("*.jpg"))
        accepted: list[np.ndarray] = []
        attempts = 0
        rest: list[Path] = []
        for i, path in enumerate(photos):
            attempts += 1
            t = time.perf_counter()
            encoding, reasons = check(path.read_bytes())
            check_ms.append((time.perf_counter() - t) * 1000)
            if encoding is None:
                refused.update(reasons)
                continue
            if accepted and min(compare(encoding, a) for a in accepted) > threshold:
                refused["different_person"] += 1
                continue
            accepted.append(encoding)
            if len(accepted) == captures:
                rest = photos[i + 1 :]
                break
        if len(accepted) < captures:
            not_enrolled += 1
            continue
        attempts_needed.append(attempts)
        for path in rest:
            encoding, _ = check(path.read_bytes(), purpose="pay")
            if encoding is None:
                continue
            if min(compare(encoding, a) for a in accepted) <= threshold:
                self_ok += 1
            break
        templates[person.name] = accepted
    gallery = Gallery()
    for name, encs in templates.items():
        gallery.add(name, np.stack(encs))
    duplicates = 0
    for name, encs in templates.items():
        hits = [h for h in gallery.search(encs[0], k=2) if h[0] != name]
        if hits and hits[0][1] <= threshold:
            duplicates += 1
    enrolled = len(attempts_needed)
    print(
        f"\nLFW dev: {len(people)} identities with >= {captures + 1} photos, "
        f"{captures} captures, threshold {threshold}"
    )
    print(
        f"enrolled: {enrolled} ({enrolled / max(1, len(people)):.1%}); "
        f"not enough good photos: {not_enrolled}"
    )
    if attempts_needed:
        print(
            f"captures tried per enrollment: mean {statistics.mean(attempts_needed):.2f}, "
            f"median {statistics.median(attempts_needed)}, max {max(attempts_needed)}"
        )
        print(f"acceptance rate per capture: {captures * enrolled / sum(attempts_needed):.1%}")
    print(f"self-check passed with the next photo: {self_ok}/{enrolled}")
    print(f"would be refused as duplicates of another identity: {duplicates}/{enrolled}")
    print(f"refusal reasons: {dict(refused.most_common())}")
    print(
        f"capture check on 250x250 LFW: median {statistics.median(check_ms):.0f} ms, "
        f"p95 {np.percentile(check_ms, 95):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--identities", type=int, default=120)
    parser.add_argument("--captures", type=int, default=3)
    args = parser.parse_args()
    timing()
    enrollment(args.identities, args.captures)


if __name__ == "__main__":
    main()
