"""A whole 8-frame 640x480 burst decided vs the plain face_recognition calls, one core.

    .venv/bin/python benchmarks/burst_speed.py [--rounds 5] [--core 0]
    SMILEPAY_FACE_DETECTOR=hog .venv/bin/python benchmarks/burst_speed.py   # before
    SMILEPAY_FACE_ENCODERS=dlib,mobilefacenet:PATH .venv/bin/python benchmarks/burst_speed.py

The decision is what the kiosk's recognition task does with a burst: ``check_burst``,
i.e. ``liveness(frames)`` (detect, align and smile-score every frame, check the frames
differ, encode two faces, return the best neutral frame's encoding) and
presentation-attack detection (``spoof_check`` on 3 frames, reusing the frames liveness
decoded and the faces it found; budget <= 15 ms per scored frame), then
``Gallery.search`` over 100,000 enrolled templates and ``decide``. The plain baseline is
what a face_recognition user writes: ``face_locations`` + ``face_encodings`` on every
frame. The process pins itself to one core (``--core``, like ``taskset -c 0``) and BLAS /
OpenMP threads to 1 before numpy loads.

Frames are smile bursts (four neutral camera frames, then four smiling ones) made with
``smilepay.faces.lab.bursts.genuine_burst`` from lfw-dev photos of several people. Both
pipelines run on the same frames in the same process, alternating burst by burst, so
machine load hits them alike. One core: BLAS/OpenMP threads are pinned to 1 before numpy
loads. Target: decided burst <= 0.25x the plain calls.
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

from smilepay.faces import Gallery, check_burst, config, decide  # noqa: E402
from smilepay.faces.lab import bursts  # noqa: E402
from smilepay.faces.lab.dataset import faces_dir  # noqa: E402

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


def gallery(size: int, dim: int, seed: int = 5) -> Gallery:
    """``size`` random enrolled templates of the configuration's size."""
    rng = np.random.default_rng(seed)
    g = Gallery(dim=dim)
    for start in range(0, size, 20_000):
        rows = rng.normal(size=(min(20_000, size - start), dim)).astype(np.float32)
        g.add_many((start + i, row) for i, row in enumerate(rows))
    return g


def decided(frames, search: Gallery) -> dict:
    """The kiosk's decision on one burst, each stage timed (ms): ``check_burst`` (the
    smile challenge, then PAD on 3 of the frames liveness decoded, with the faces it
    found), then the 1:N search of the best neutral frame's encoding and ``decide``. The
    kiosk searches a failed burst too (to name whose face it was), and PAD refuses these
    bursts made from portraits, so the search runs whenever there is an encoding; PAD's
    verdict here means nothing (it is measured on webcam frames in
    benchmarks/pad_accuracy.py), its cost is what counts."""
    t0 = time.perf_counter()
    burst = check_burst(frames)
    t1 = time.perf_counter()
    outcome = decide(search.search(burst.encoding, k=2)) if burst.encoding is not None else None
    t2 = time.perf_counter()
    return {
        "liveness": burst.timings_ms["liveness"],
        "pad": burst.timings_ms.get("pad", 0.0),
        "search": (t2 - t1) * 1000,
        "total": (t2 - t0) * 1000,
        "reason": burst.liveness.reason,
        "matched": bool(outcome and outcome.matched),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5, help="timed runs of each burst")
    p.add_argument("--core", type=int, default=0, help="the one CPU core to run on (-1: any)")
    p.add_argument("--gallery", type=int, default=100_000, help="templates searched")
    args = p.parse_args()
    if args.core >= 0:
        os.sched_setaffinity(0, {args.core})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition  # noqa: F401  (load its models outside the timings)
    engine = config.load()
    search = gallery(args.gallery, engine.dim)
    work = make_bursts()
    # Warm-up: models load lazily in both pipelines.
    decided(work[0][1], search)
    plain_burst(work[0][1][:1])
    times: dict[str, list[float]] = {
        "plain": [],
        "liveness": [],
        "pad": [],
        "search": [],
        "total": [],
    }
    paired: list[float] = []
    reasons: Counter = Counter()
    for _ in range(args.rounds):
        for _person, frames in work:
            plain_ms, _ = timed(plain_burst, frames)
            stages = decided(frames, search)
            times["plain"].append(plain_ms)
            for key in ("liveness", "pad", "search", "total"):
                times[key].append(stages[key])
            paired.append(stages["total"] / plain_ms)
            reasons[stages["reason"]] += 1
    p50 = {k: float(np.percentile(v, 50)) for k, v in times.items()}
    ratio = float(np.median(paired))
    print(
        f"8-frame 640x480 bursts: {len(work)} people x {args.rounds} rounds, core "
        f"{args.core}, detector {engine.detector}, encoders {engine.fingerprint}, "
        f"{args.gallery:,} templates"
    )
    print(f"  plain face_locations + face_encodings  {pct(times['plain'])}")
    print(f"  liveness()                             {pct(times['liveness'])}")
    print(f"  PAD (spoof_check, 3 frames)            {pct(times['pad'])}")
    print(f"  1:N search + decide                    {pct(times['search'])}")
    print(f"  decided burst                          {pct(times['total'])}")
    print(
        f"  ratio decided / plain: median of paired ratios {ratio:.3f}, of p50s "
        f"{p50['total'] / p50['plain']:.3f} (target <= 0.25)"
    )
    print(f"  liveness reasons: {dict(reasons)}")
    print(
        json.dumps(
            {
                "bursts": len(times["plain"]),
                "detector": engine.detector,
                "encoders": engine.fingerprint,
                "gallery": args.gallery,
                **{f"{k}_p50_ms": round(v, 1) for k, v in p50.items()},
                "ratio_paired_median": round(ratio, 3),
                "ratio_p50": round(p50["total"] / p50["plain"], 3),
                "liveness_reasons": dict(reasons),
            }
        )
    )


if __name__ == "__main__":
    main()
