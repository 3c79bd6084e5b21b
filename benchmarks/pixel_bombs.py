"""What a pixel bomb costs before and after the header checks.

    PYTHONPATH=. DJANGO_SETTINGS_MODULE=smilepay.settings .venv/bin/python benchmarks/pixel_bombs.py

A 6000 x 6000 PNG of one colour (the probe's frame): its size on the wire, the time the
upload check (`smilepay.upload_images.frame_header`) takes to refuse it, and what decoding
it would cost (time, peak memory) were the engine's old 40 MP cap still in force, against
the new refusal. Each decode runs in a fresh process so that peak memory is its own.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time

DECODE = """
import resource, sys, time
from smilepay.faces import FaceImageError, decode_image
data = sys.stdin.buffer.read()
cap = int(sys.argv[1])
start = time.perf_counter()
try:
    decode_image(data, max_pixels=cap)
    outcome = "decoded"
except FaceImageError:
    outcome = "refused"
elapsed = (time.perf_counter() - start) * 1000
print(outcome, round(elapsed, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def bomb(side: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def main() -> None:
    import django

    django.setup()
    from smilepay.upload_images import ImageRefused, frame_header

    data = bomb(6000)
    start = time.perf_counter()
    runs = 200
    for _ in range(runs):
        with contextlib.suppress(ImageRefused):
            frame_header(data, max_bytes=600_000)
    check_us = (time.perf_counter() - start) / runs * 1e6
    print(f"6000x6000 PNG: {len(data) / 1024:.1f} KB on the wire")
    print(f"upload header check refuses it in {check_us:.0f} us (mean of {runs})")
    for label, cap in [("old engine cap 40 MP", 40_000_000), ("new engine cap 16.8 MP", 4096**2)]:
        out = subprocess.run(
            [sys.executable, "-c", DECODE, str(cap)], input=data, capture_output=True, check=True
        ).stdout.split()
        print(f"{label}: {out[0].decode()} in {out[1].decode()} ms, peak RSS {out[2].decode()} MB")


if __name__ == "__main__":
    main()
