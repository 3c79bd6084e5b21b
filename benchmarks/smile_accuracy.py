"""Smile detector accuracy on the SMILEsmileD test split it never trained or tuned on.

    .venv/bin/python benchmarks/smile_accuracy.py

Scores the shipped weights (smilepay/faces/models/smile_hog_mlp.npz) on the fixed test
split of smilepay.faces.lab.train_smile (crc32 rule + every crop of a held-out lfw-dev
identity). Uses the landmark/feature caches in .cache/faces/ that
`python -m smilepay.faces.lab.train_smile` writes; without them it computes them first
(a few minutes on 2 cores). Prints AUC, and accuracy / recall / specificity at the
model's operating threshold and at 0.5.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smilepay.faces import smile
from smilepay.faces.lab import train_smile


def rates(scores: np.ndarray, labels: np.ndarray, threshold: float) -> str:
    said = scores >= threshold
    pos = labels == 1
    return (
        f"accuracy {np.mean(said == pos):.4f}, recall {np.mean(said[pos]):.4f}, "
        f"specificity {np.mean(~said[~pos]):.4f}"
    )


def main() -> int:
    paths, labels = train_smile.smile_crops()
    if not paths:
        print(f"SMILEsmileD not found under {train_smile.faces_dir()}", file=sys.stderr)
        return 2
    rows, _ = train_smile.cached_landmarks("smile", train_smile._crop_job, paths)
    chips, feats, mirrored = train_smile.crop_chips_and_features(paths, rows)
    lfw_labels = train_smile.label_lfw(paths, labels, chips, rows)
    names = [Path(p).name for p in paths]
    heldout = train_smile.heldout_crops(paths, rows, lfw_labels)
    test = heldout | np.array([train_smile.crop_split(n) == "test" for n in names])

    scores = smile.score_features(feats[test], mirrored[test])
    y = labels[test]
    threshold = smile.smile_threshold()
    print(f"SMILEsmileD test split: {test.sum()} crops ({int(y.sum())} smiling)")
    print(f"AUC {train_smile.auc(scores, y):.4f}")
    print(f"at the operating threshold {threshold:.2f}: {rates(scores, y, threshold)}")
    print(f"at 0.50: {rates(scores, y, 0.5)}")
    sub = heldout[test]
    print(
        f"held-out lfw-dev identities' crops ({sub.sum()}): {rates(scores[sub], y[sub], threshold)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
