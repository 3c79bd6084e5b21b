"""Per-stage latency of smilepay.faces on an 8-frame 640x480 burst vs plain face_recognition.

Burst variants: engine_all = full analyze (encoding with mirror) on every frame;
engine_two = encodings on the first and last frame only; engine_one = the kiosk path,
no encoder on any frame and then one encoding of the best-quality face.

Run: python benchmarks/engine_speed.py [--rounds 5] [--core 0]

"detect" is the configured detector (BlazeFace by default), "detect_hog" dlib's HOG on the
same frame for comparison.

The burst is built from real photos in ../shared/faces (SMILEPAY_FACES_DIR): Obama at
several resolutions and crops, each scaled and padded into a 640x480 frame and JPEG
encoded like a kiosk upload. One core: BLAS/OpenMP threads are pinned to 1 before
numpy loads. Both pipelines run on the same frames in the same process, alternating, so
machine load affects them alike. The liveness stage is owned by benchmarks/liveness_*.py.
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smilepay.faces import analyze  # noqa: E402
from smilepay.faces import detect as fdetect  # noqa: E402
from smilepay.faces import encode as fencode  # noqa: E402
from smilepay.faces.imaging import decode_image  # noqa: E402
from smilepay.faces.lab.dataset import faces_dir  # noqa: E402
from smilepay.faces.quality import assess  # noqa: E402

SOURCES = [
    ("obama-720p.jpg", 1.00, (0, 0)),
    ("obama-720p.jpg", 0.95, (12, 6)),
    ("obama-1080p.jpg", 1.00, (-10, 4)),
    ("obama-1080p.jpg", 1.05, (8, -6)),
    ("obama-480p.jpg", 1.00, (4, 10)),
    ("obama.jpg", 1.00, (0, 0)),
    ("obama2.jpg", 1.00, (0, 0)),
    ("obama-720p.jpg", 1.02, (-6, -8)),
]


def make_frame(path: Path, zoom: float, shift: tuple[int, int]) -> bytes:
    img = Image.open(path).convert("RGB")
    scale = min(640 / img.width, 480 / img.height) * zoom
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(img, ((640 - img.width) // 2 + shift[0], (480 - img.height) // 2 + shift[1]))
    buf = io.BytesIO()
    canvas.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def burst() -> list[bytes]:
    src = faces_dir() / "face_recognition_examples" / "examples"
    return [make_frame(src / name, z, s) for name, z, s in SOURCES]


def pct(xs: list[float]) -> str:
    return f"p50 {np.percentile(xs, 50):7.1f} ms  p95 {np.percentile(xs, 95):7.1f} ms"


def stages(frames: list[bytes], rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {
        k: [] for k in ("decode", "detect", "landmarks", "quality", "encode", "total", "detect_hog")
    }
    for _ in range(rounds):
        for data in frames:
            t0 = time.perf_counter()
            rgb = decode_image(data)
            t1 = time.perf_counter()
            dets = fdetect.detect(rgb)
            t2 = time.perf_counter()
            shape = fdetect.landmarks5(rgb, dets[0])
            t3 = time.perf_counter()
            marks = fdetect.landmarks_dict(shape)
            box = fdetect.clip_box(dets[0], *rgb.shape[:2])
            raw = (dets[0].top, dets[0].right, dets[0].bottom, dets[0].left)
            assess(rgb=rgb, box=box, raw_box=raw, landmarks=marks)
            t4 = time.perf_counter()
            fencode.encode_chips([fencode.face_chip(rgb, shape)])
            t5 = time.perf_counter()
            fdetect.hog(rgb)  # the detector before BlazeFace, for comparison
            out["detect_hog"].append((time.perf_counter() - t5) * 1000)
            for k, a, b in (
                ("decode", t0, t1),
                ("detect", t1, t2),
                ("landmarks", t2, t3),
                ("quality", t3, t4),
                ("encode", t4, t5),
                ("total", t0, t5),
            ):
                out[k].append((b - a) * 1000)
    return out


def time_burst(fn, frames: list[bytes], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn(frames)
        times.append((time.perf_counter() - t) * 1000)
    return times


def plain_burst(frames: list[bytes]) -> None:
    import face_recognition

    for data in frames:
        img = face_recognition.load_image_file(io.BytesIO(data))
        locs = face_recognition.face_locations(img)
        face_recognition.face_encodings(img, locs)


def engine_burst_all(frames: list[bytes]) -> None:
    for data in frames:
        analyze(data, want_smile=False)


def engine_burst_two(frames: list[bytes]) -> None:
    # Faces + landmarks + quality on every frame, encodings on the first and last.
    for i, data in enumerate(frames):
        analyze(data, want_smile=False, want_encoding=i in (0, len(frames) - 1), max_faces=1)


def engine_burst_one(frames: list[bytes]) -> None:
    # The kiosk path: every frame analysed without the encoder (chips kept, ~1 ms), then
    # only the best-quality face is encoded for the 1:N search.
    best = None
    for data in frames:
        faces = analyze(data, want_smile=False, want_encoding=False, max_faces=1, keep_chip=True)
        if faces and (best is None or faces[0].quality.score > best.quality.score):
            best = faces[0]
    fencode.encode_chips([best.chip])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--core", type=int, default=0, help="the one CPU core to run on (-1: any)")
    args = p.parse_args()
    if args.core >= 0:
        os.sched_setaffinity(0, {args.core})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition  # noqa: F401  (load its models outside the timings)
    frames = burst()
    analyze(frames[0], want_smile=False)
    plain_burst(frames[:1])
    st = stages(frames, args.rounds)
    print("per-frame stages (640x480 JPEG, one face):")
    for k, v in st.items():
        print(f"  {k:10s} {pct(v)}")
    results = {"plain": [], "engine_all": [], "engine_two": [], "engine_one": []}
    for _ in range(args.rounds):  # interleave so load drifts hit all pipelines alike
        results["plain"] += time_burst(plain_burst, frames, 1)
        results["engine_all"] += time_burst(engine_burst_all, frames, 1)
        results["engine_two"] += time_burst(engine_burst_two, frames, 1)
        results["engine_one"] += time_burst(engine_burst_one, frames, 1)
    plain50 = float(np.percentile(results["plain"], 50))
    print("8-frame burst:")
    for k, v in results.items():
        ratio = float(np.percentile(v, 50)) / plain50
        print(f"  {k:11s} {pct(v)}  ratio to plain (p50) {ratio:.3f}")
    summary = {
        k: {
            "p50_ms": round(float(np.percentile(v, 50)), 1),
            "p95_ms": round(float(np.percentile(v, 95)), 1),
        }
        for k, v in {**st, **results}.items()
    }
    summary["ratio_engine_all_vs_plain"] = round(
        float(np.percentile(results["engine_all"], 50)) / plain50, 3
    )
    for name in ("engine_two", "engine_one"):
        summary[f"ratio_{name}_vs_plain"] = round(
            float(np.percentile(results[name], 50)) / plain50, 3
        )
    left = 0.35 * plain50 - float(np.percentile(results["engine_one"], 50))
    print(f"budget left for liveness within 0.35x plain (engine_one path): {left:.0f} ms")
    summary["liveness_budget_ms_at_0.35x"] = round(left, 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
