"""Would checking the smiling face against the matched customer's template stop a look-alike?

    .venv/bin/python benchmarks/smile_template_check.py [--half tuning|heldout]

The measurement, photo against photo, that preceded the look-alike check
(smilepay/faces/lookalike.py; on whole bursts: benchmarks/lookalike_check.py): a
victim's neutral photo followed by a smiling look-alike accomplice passes liveness
12.6% of the time. Here each lfw-dev person of the half with at least 4 photos is
enrolled with their first 3 (a normalised mean template, as `Gallery` keeps it), and at
each threshold T it prints:

- how many of their own labelled smiling photos (not enrolled) are farther than T from
  their template: the genuine customers such a check would refuse on its own;
- for how many of them the most alike other person's labelled smiling photo (the nearest
  to their template: the best accomplice this data allows) is within T.

Smile labels come from `python -m smilepay.faces.lab.train_smile` (run it once first).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smilepay.faces import analyze, compare, mean_template
from smilepay.faces.lab.calibrate import wilson_interval
from smilepay.faces.lab.dataset import cache_dir, faces_dir
from smilepay.faces.lab.split import in_half
from smilepay.faces.lab.train_smile import lfw_paths

THRESHOLDS = (0.309, 0.33, 0.35, 0.37, 0.40)


def encoding(path: str) -> np.ndarray | None:
    faces = analyze(Path(path).read_bytes(), want_smile=False)
    return faces[0].encoding if faces else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=["heldout", "tuning"], default="heldout")
    args = parser.parse_args()
    root = faces_dir() / "lfw-dev"
    labels = json.loads((cache_dir() / "lfw_smile_labels.v2.json").read_text())
    smiling = [root / rel for rel, info in labels.items() if info["smiling"]]
    smiling = [path for path in smiling if in_half(path.parent.name, args.half)]
    people: dict[str, list[Path]] = defaultdict(list)
    for path in map(Path, lfw_paths(args.half)):
        people[path.parent.name].append(path)
    people = {name: photos for name, photos in people.items() if len(photos) >= 4}
    paths = sorted({str(p) for photos in people.values() for p in photos} | set(map(str, smiling)))
    with multiprocessing.Pool(2) as pool:
        encodings = dict(zip(paths, pool.map(encoding, paths, chunksize=8), strict=True))

    own, alike = [], []
    smiling_set = set(smiling)
    for name, photos in people.items():
        enrolled = [encodings[str(p)] for p in photos[:3] if encodings[str(p)] is not None]
        if len(enrolled) < 2:
            continue
        template = mean_template(np.array(enrolled))
        own += [
            compare(encodings[str(p)], template)
            for p in photos[3:]
            if p in smiling_set and encodings[str(p)] is not None
        ]
        strangers = [p for p in smiling if p.parent.name != name and encodings[str(p)] is not None]
        alike.append(min(compare(encodings[str(p)], template) for p in strangers))
    own, alike = np.array(own), np.array(alike)
    print(
        f"{args.half} half: {len(alike)} people enrolled, {len(own)} of their own smiling "
        "photos; threshold: own smiling photo refused | most alike smiling stranger accepted"
    )
    for t in THRESHOLDS:
        refused, accepted = int((own > t).sum()), int((alike <= t).sum())
        r_low, r_high = wilson_interval(refused, len(own))
        a_low, a_high = wilson_interval(accepted, len(alike))
        print(
            f"  {t:.3f}: {refused / len(own):6.1%} ({r_low:.1%}-{r_high:.1%}) | "
            f"{accepted / len(alike):6.1%} ({a_low:.1%}-{a_high:.1%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
