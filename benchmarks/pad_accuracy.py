"""Presentation-attack detection on real webcam bursts: APCER, BPCER, threshold, speed.

    .venv/bin/python benchmarks/pad_accuracy.py            # accuracy (about 2 minutes)
    taskset -c 0 .venv/bin/python benchmarks/pad_accuracy.py --speed --rounds 5

Data: ``../shared/faces/pad-nuaa-dev`` (NUAA, 7 people, 640x480 webcam frames): the live
person (``ClientRaw``) and a printed photo of them held up and moved (``ImposterRaw``).
A burst is 8 consecutive frames of one capture (``ID_glasses_position_session``, frames
in order, every 4th kept); captures are cut into non-overlapping bursts and a shorter
rest is dropped. ``spoof_check`` scores 3 of the 8 frames (first, middle, last) with
the engine's detector and landmarks; the burst's score is their mean live probability.

Honest evaluation on 7 people: **leave one person out**. For each person, the threshold
is chosen on the other six (the midpoint, in logit, between their highest attack burst
and their lowest live burst; if those overlap, the threshold that refuses at most 3% of
their live bursts with the fewest attacks accepted) and applied to the held-out person;
the errors are pooled over the seven. APCER = attack bursts accepted, BPCER = live
bursts refused (a live burst whose scored frames show no face counts as refused), with
95% Wilson intervals. The shipped threshold (``pad.DEFAULT_LIVE_THRESHOLD``) is then
checked the same way on all seven. Frame scores are cached in ``.cache/faces/``.

``--speed``: milliseconds per scored frame (crop and both networks, the face's landmarks
already known, as in the kiosk pipeline) and with detection (``spoof_check`` on a frame
alone), median over ``--rounds`` passes over 40 frames. Run it under ``taskset -c 0``.
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smilepay.faces import analyze_rgb, decode_image  # noqa: E402
from smilepay.faces import pad as pad_module  # noqa: E402
from smilepay.faces.lab.calibrate import wilson_interval  # noqa: E402
from smilepay.faces.lab.dataset import faces_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "faces" / "pad_nuaa_frame_scores.v1.json"
BURST = 8
NAME = re.compile(r"^(\d{4}_\d{2}_\d{2}_\d{2})_(\d+)\.jpg$")
KINDS = {"ClientRaw": "live", "ImposterRaw": "attack"}


def nuaa_root() -> Path:
    return faces_dir() / "pad-nuaa-dev"


def captures() -> dict[tuple[str, str, str], list[Path]]:
    """(kind, person, capture) -> frame paths in frame order."""
    found: dict[tuple[str, str, str], list[tuple[int, Path]]] = defaultdict(list)
    for folder, kind in KINDS.items():
        for path in (nuaa_root() / folder).glob("*/*.jpg"):
            match = NAME.match(path.name)
            if match:
                capture = match.group(1)
                found[(kind, capture[:4], capture)].append((int(match.group(2)), path))
    return {key: [p for _, p in sorted(frames)] for key, frames in sorted(found.items())}


def nuaa_bursts(size: int = BURST, *, step: int = BURST) -> list[tuple[str, str, list[Path]]]:
    """(kind, person, frames): runs of ``size`` consecutive frames, ``step`` apart
    (non-overlapping by default)."""
    out = []
    for (kind, person, _), frames in captures().items():
        for start in range(0, len(frames) - size + 1, step):
            out.append((kind, person, frames[start : start + size]))
    return out


def frame_scores(paths: list[Path]) -> dict[str, float | None]:
    """Live probability of each frame's largest face (None: no face), cached."""
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    missing = [p for p in paths if str(p.relative_to(nuaa_root())) not in cache]
    for n, path in enumerate(missing, 1):
        rgb = decode_image(path.read_bytes())
        faces = analyze_rgb(rgb, want_encoding=False, want_smile=False, max_faces=1)
        score = pad_module.frame_live_score(rgb, faces[0].landmarks) if faces else None
        cache[str(path.relative_to(nuaa_root()))] = score
        if n % 200 == 0:
            print(f"  scored {n}/{len(missing)} frames", file=sys.stderr)
    if missing:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(cache))
    return {str(p.relative_to(nuaa_root())): cache[str(p.relative_to(nuaa_root()))] for p in paths}


def burst_score(frames: list[Path], scores: dict[str, float | None]) -> float | None:
    """The burst's score as spoof_check computes it: mean over the scored frames."""
    picked = [frames[i] for i in pad_module.scored_indices(len(frames))]
    values = [scores[str(p.relative_to(nuaa_root()))] for p in picked]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def choose_threshold(live: list[float | None], attack: list[float | None]) -> float:
    """The rule applied to tuning people (module docstring)."""
    live_s = sorted(s for s in live if s is not None)
    attack_s = sorted(s for s in attack if s is not None)
    if live_s and attack_s and attack_s[-1] < live_s[0]:
        mid = (_logit(attack_s[-1]) + _logit(live_s[0])) / 2
        return float(1 / (1 + np.exp(-mid)))
    allowed = int(np.floor(0.03 * len(live)))  # live refusals allowed on the tuning people
    candidates = sorted(set(live_s))
    return candidates[min(allowed, len(candidates) - 1)] if candidates else 0.5


def rates(bursts, threshold: float) -> dict[str, tuple[int, int]]:
    accepted_attacks = sum(
        1 for k, _, s in bursts if k == "attack" and s is not None and s >= threshold
    )
    refused_live = sum(1 for k, _, s in bursts if k == "live" and (s is None or s < threshold))
    attacks = sum(1 for k, _, _ in bursts if k == "attack")
    lives = sum(1 for k, _, _ in bursts if k == "live")
    return {"apcer": (accepted_attacks, attacks), "bpcer": (refused_live, lives)}


def fmt(errors: int, total: int) -> str:
    low, high = wilson_interval(errors, total)
    rate = 100 * errors / max(total, 1)
    return f"{errors}/{total} = {rate:.1f}% (95% CI {100 * low:.1f}-{100 * high:.1f}%)"


def accuracy() -> None:
    raw = nuaa_bursts()
    scores = frame_scores(sorted({p for _, _, frames in raw for p in frames}))
    scored = [(kind, person, burst_score(frames, scores)) for kind, person, frames in raw]
    people = sorted({person for _, person, _ in scored})
    print(
        f"NUAA dev: {len(people)} people, {sum(k == 'live' for k, _, _ in scored)} live "
        f"and {sum(k == 'attack' for k, _, _ in scored)} attack bursts of {BURST} frames"
    )
    print("\nleave one person out (threshold chosen on the other six):")
    print(
        "| held-out person | threshold | live bursts refused | attack bursts accepted "
        "| lowest live | highest attack |"
    )
    print("|---|---|---|---|---|---|")
    pooled = defaultdict(lambda: [0, 0])
    for person in people:
        tune = [b for b in scored if b[1] != person]
        held = [b for b in scored if b[1] == person]
        threshold = choose_threshold(
            [s for k, _, s in tune if k == "live"], [s for k, _, s in tune if k == "attack"]
        )
        result = rates(held, threshold)
        for name, (errors, total) in result.items():
            pooled[name][0] += errors
            pooled[name][1] += total
        live = [s for k, _, s in held if k == "live" and s is not None]
        attack = [s for k, _, s in held if k == "attack" and s is not None]
        print(
            f"| {person} | {threshold:.4f} | {result['bpcer'][0]}/{result['bpcer'][1]} | "
            f"{result['apcer'][0]}/{result['apcer'][1]} | "
            f"{min(live, default=float('nan')):.4f} | {max(attack, default=float('nan')):.2e} |"
        )
    print(
        f"\npooled, held-out people: APCER {fmt(*pooled['apcer'])}; BPCER {fmt(*pooled['bpcer'])}"
    )
    shipped = pad_module.live_threshold()
    result = rates(scored, shipped)
    print(
        f"shipped threshold {shipped}, all seven people: APCER {fmt(*result['apcer'])}; "
        f"BPCER {fmt(*result['bpcer'])}"
    )
    chosen = choose_threshold(
        [s for k, _, s in scored if k == "live"], [s for k, _, s in scored if k == "attack"]
    )
    print(f"the same rule on all seven people gives {chosen:.4f}")
    windows = [
        (kind, person, burst_score(frames, frame_scores(frames)))
        for kind, person, frames in nuaa_bursts(step=1)
    ]
    result = rates(windows, shipped)
    print(
        f"every 8-frame window (overlapping, so not independent), shipped threshold: "
        f"APCER {fmt(*result['apcer'])}; BPCER {fmt(*result['bpcer'])}"
    )
    live = np.array([s for k, _, s in scored if k == "live" and s is not None])
    attack = np.array([s for k, _, s in scored if k == "attack" and s is not None])
    print(
        f"burst scores: live min {live.min():.4f}, 1st pct {np.percentile(live, 1):.4f}, "
        f"median {np.median(live):.4f}; attack max {attack.max():.2e}, "
        f"99th pct {np.percentile(attack, 99):.2e}"
    )


def speed(rounds: int) -> None:
    paths = [frames[0] for _, _, frames in nuaa_bursts()[::4]][:40]
    decoded = [decode_image(p.read_bytes()) for p in paths]
    faces = [
        analyze_rgb(rgb, want_encoding=False, want_smile=False, max_faces=1) for rgb in decoded
    ]
    work = [(rgb, f[0]) for rgb, f in zip(decoded, faces, strict=True) if f]
    pad_module.load_models()
    pad_module.frame_live_score(*[work[0][0], work[0][1].landmarks])  # warm up
    own, whole = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for rgb, face in work:
            pad_module.frame_live_score(rgb, face.landmarks)
        own.append(1000 * (time.perf_counter() - started) / len(work))
        started = time.perf_counter()
        for rgb, _ in work:
            pad_module.spoof_check([rgb], scored=1)
        whole.append(1000 * (time.perf_counter() - started) / len(work))
    print(f"cores allowed: {len(os.sched_getaffinity(0))}; {len(work)} frames x {rounds} rounds")
    print(
        f"PAD per scored frame (crop + 2 networks), median of rounds: {np.median(own):.2f} ms "
        f"(rounds {', '.join(f'{v:.2f}' for v in own)})"
    )
    print(f"spoof_check on one frame incl. detection and landmarks: {np.median(whole):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not nuaa_root().exists():
        sys.exit(f"{nuaa_root()} is missing (SMILEPAY_FACES_DIR)")
    if args.speed:
        speed(args.rounds)
    else:
        accuracy()


if __name__ == "__main__":
    main()
