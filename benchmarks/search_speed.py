"""1:N search latency and memory of smilepay.faces.Gallery at 10k / 100k / 1M templates.

Run: OPENBLAS_NUM_THREADS=1 python benchmarks/search_speed.py [--sizes 10000,100000,1000000]

One core (BLAS threads pinned to 1 before numpy loads, as the issue's target asks),
random unit vectors (search cost does not depend on the values). A Gallery keeps one
template row per identity (the mean of its enrolled encodings), so N templates = N
identities here, with int ids. Prints p50/p95 latency of search(k=2), the resident
memory the gallery adds (its own accounting, and the growth of the process RSS after
handing freed build temporaries back with malloc_trim), the cost of one add/remove at
that size, and checks exactness against a brute-force search on a sample.
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smilepay.faces import Gallery  # noqa: E402


def trim_heap() -> None:
    """Hand freed heap pages back to the OS (glibc), so RSS shows what is really held."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build(n: int, rng: np.random.Generator) -> Gallery:
    g = Gallery()
    batch = 50_000  # generate in slices so the benchmark itself holds no big copy
    for start in range(0, n, batch):
        m = min(batch, n - start)
        x = rng.standard_normal((m, 128), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        g.add_many((start + i, x[i]) for i in range(m))
    return g


def brute_force(g: Gallery, q: np.ndarray, k: int) -> list[int]:
    d = np.concatenate([np.linalg.norm(v[:used] - q, axis=1) for v, used in used_blocks(g)])
    return [g._ids[int(i)] for i in np.argsort(d)[:k]]


def used_blocks(g: Gallery):
    for b, used in g._blocks():
        yield g._vecs[b], used


def bench(n: int, queries: int) -> dict:
    rng = np.random.default_rng(n)
    gc.collect()
    trim_heap()
    before = rss_mb()
    t0 = time.perf_counter()
    g = build(n, rng)
    build_s = time.perf_counter() - t0
    gc.collect()
    trim_heap()
    after = rss_mb()
    q = rng.standard_normal((queries, 128), dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    g.search(q[0], k=2)  # warm up
    times = []
    for v in q:
        t = time.perf_counter()
        g.search(v, k=2)
        times.append((time.perf_counter() - t) * 1000)
    exact = all([i for i, _ in g.search(v, k=2)] == brute_force(g, v, 2) for v in q[:3])
    extra = rng.standard_normal((3, 128), dtype=np.float32)
    t = time.perf_counter()
    g.add("new customer", extra)
    add_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    g.remove(n // 2)
    remove_ms = (time.perf_counter() - t) * 1000
    return {
        "templates": n,
        "build_s": round(build_s, 2),
        "search_ms_p50": round(float(np.percentile(times, 50)), 2),
        "search_ms_p95": round(float(np.percentile(times, 95)), 2),
        "gallery_bytes_mb": round(g.memory_bytes() / 2**20, 1),
        "rss_growth_mb": round(after - before, 1),
        "process_rss_mb": round(rss_mb(), 1),
        "add_ms": round(add_ms, 2),
        "remove_ms": round(remove_ms, 2),
        "exact_vs_brute_force": exact,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--queries", type=int, default=50)
    args = p.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        print(json.dumps(bench(n, args.queries)), flush=True)
        gc.collect()


if __name__ == "__main__":
    main()
