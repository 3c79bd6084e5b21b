"""A small ROC (DET-style) plot drawn with Pillow, so no plotting library is needed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

COLOURS = [(200, 30, 30), (30, 90, 200), (20, 140, 60), (150, 80, 0)]


def roc_png(
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    path: Path | str,
    *,
    title: str = "ROC",
    marks: dict[str, tuple[float, float]] | None = None,
) -> None:
    """Plot FNMR (linear, 0-20%) against FMR (log, 1e-5..1) for each named curve.

    ``curves`` maps a label to (fmr, fnmr) arrays; ``marks`` maps a label to one
    (fmr, fnmr) point to circle (e.g. the chosen threshold).
    """
    w, h, left, right, top, bottom = 760, 520, 70, 20, 40, 60
    img = Image.new("RGB", (w, h), "white")
    g = ImageDraw.Draw(img)
    x0, x1, y0, y1 = left, w - right, h - bottom, top
    lo, hi, ymax = -5.0, 0.0, 0.20

    def px(fmr: float, fnmr: float) -> tuple[float, float]:
        lx = math.log10(min(max(fmr, 10**lo), 1.0))
        x = x0 + (lx - lo) / (hi - lo) * (x1 - x0)
        y = y0 - min(fnmr, ymax) / ymax * (y0 - y1)
        return x, y

    for e in range(-5, 1):
        x, _ = px(10.0**e, 0)
        g.line([(x, y0), (x, y1)], fill=(225, 225, 225))
        g.text((x - 12, y0 + 6), f"1e{e}", fill="black")
    for pct in range(0, 21, 5):
        _, y = px(1, pct / 100)
        g.line([(x0, y), (x1, y)], fill=(225, 225, 225))
        g.text((x0 - 34, y - 6), f"{pct}%", fill="black")
    g.rectangle([x0, y1, x1, y0], outline="black")
    g.text((x0, 12), title, fill="black")
    g.text(((x0 + x1) // 2 - 90, h - 24), "FMR per comparison (log)", fill="black")
    g.text((6, y1 - 20), "FNMR", fill="black")
    for i, (label, (fmr, fnmr)) in enumerate(curves.items()):
        c = COLOURS[i % len(COLOURS)]
        pts = [px(a, b) for a, b in zip(fmr, fnmr, strict=True) if a > 0]
        if len(pts) > 1:
            g.line(pts, fill=c, width=2)
        g.line([(x1 - 250, y1 + 14 + 16 * i), (x1 - 225, y1 + 14 + 16 * i)], fill=c, width=3)
        g.text((x1 - 220, y1 + 8 + 16 * i), label, fill="black")
    for label, (fmr, fnmr) in (marks or {}).items():
        x, y = px(fmr, fnmr)
        g.ellipse([x - 5, y - 5, x + 5, y + 5], outline="black", width=2)
        g.text((x + 8, y - 14), label, fill="black")
    img.save(path, format="PNG")
