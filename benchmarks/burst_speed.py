"""A whole 8-frame 640x480 burst decided by ``liveness()`` vs the plain face_recognition calls.

    .venv/bin/python benchmarks/burst_speed.py [--rounds 5]

``liveness(frames)`` is the kiosk's decision minus the 1:N search: it detects, aligns and
smile-scores every frame, checks the frames differ, encodes two faces (same person) and
returns the best neutral frame's calibrated encoding, which ``Gallery.search`` takes as
it is (search times: benchmarks/search_speed.py). The plain baseline is what a
face_recognition user writes: ``face_locations`` + ``face_encodings`` on every frame.

Frames are smile bursts (four neutral camera frames, then four smiling ones) made with
``smilepay.faces.bursts.genuine_burst`` from lfw-dev photos of several people. Both
pipelines run on the same frames in the same process, alternating burst by burst, so
machine load hits them alike. One core: BLAS/OpenMP threads are pinned to 1 before numpy
loads (importing engine_speed does that). Target (issue 3): ratio <= 0.35.
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine_speed import pct, plain_burst  # noqa: E402

from smilepay.faces import bursts, liveness, spoof_check  # noqa: E402
from smilepay.faces.dataset import faces_dir  # noqa: E402

# (person, neutral photo, smiling photo) in lfw-dev.
PEOPLE = [
    ("Adrien_Brody", 5, 7),
    ("Joan_Laporta", 1, 2),
    ("Bill_Gates", 1, 2),
]


def photo(person: str, index: int) -> Path:
    return faces_dir() / "lfw-dev" / person / f"{person}_{index:04d}.jpg"


def make_bursts(seed: int = 11) -> list[tuple[str, list[bytes]]]:
    rng = np.random.default_rng(seed)
    return [
        (person, bursts.genuine_burst(photo(person, n), photo(person, s), rng=rng))
        for person, n, s in PEOPLE
    ]


def timed(fn, frames) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(frames)
    return (time.perf_counter() - t) * 1000, out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5, help="timed runs of each burst")
    args = p.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition  # noqa: F401  (load its models outside the timings)
    work = make_bursts()
    # Warm-up: models load lazily in both pipelines.
    liveness(work[0][1])
    plain_burst(work[0][1][:1])
    spoof_check(work[0][1], scored=1)
    times: dict[str, list[float]] = {"plain": [], "liveness": []}
    pad_ms: list[float] = []
    paired: list[float] = []
    reasons: Counter = Counter()
    for _ in range(args.rounds):
        for _person, frames in work:
            plain_ms, _ = timed(plain_burst, frames)
            live_ms, result = timed(liveness, frames)
            times["plain"].append(plain_ms)
            times["liveness"].append(live_ms)
            paired.append(live_ms / plain_ms)
            reasons[result.reason] += 1
            # Presentation-attack detection on the same burst, on the faces liveness found
            # (3 frames): its cost only; its verdict on portraits means nothing.
            t = time.perf_counter()
            spoof_check(frames, faces=result.faces)
            pad_ms.append((time.perf_counter() - t) * 1000)
    p50 = {k: float(np.percentile(v, 50)) for k, v in times.items()}
    p95 = {k: float(np.percentile(v, 95)) for k, v in times.items()}
    ratio = p50["liveness"] / p50["plain"]
    print(f"8-frame 640x480 bursts: {len(work)} people x {args.rounds} rounds")
    print(f"  plain face_locations + face_encodings  {pct(times['plain'])}")
    print(f"  liveness() (whole decision)            {pct(times['liveness'])}")
    print(
        f"  ratio liveness / plain: p50 {ratio:.3f}, p95 {p95['liveness'] / p95['plain']:.3f},"
        f" median of paired ratios {float(np.median(paired)):.3f} (target <= 0.35)"
    )
    print(f"  spoof_check() on the same burst (3 frames) {pct(pad_ms)}")
    print(f"  liveness reasons: {dict(reasons)}")
    print(
        json.dumps(
            {
                "bursts": len(times["plain"]),
                "plain_p50_ms": round(p50["plain"], 1),
                "plain_p95_ms": round(p95["plain"], 1),
                "liveness_p50_ms": round(p50["liveness"], 1),
                "liveness_p95_ms": round(p95["liveness"], 1),
                "ratio_p50": round(ratio, 3),
                "ratio_p95": round(p95["liveness"] / p95["plain"], 3),
                "ratio_paired_median": round(float(np.median(paired)), 3),
                "liveness_reasons": dict(reasons),
                "pad_p50_ms": round(float(np.percentile(pad_ms, 50)), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
