"""Small server-side SVG charts (no JavaScript, no CDN)."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H, PAD_L, PAD_B, PAD_T = 640, 200, 48, 28, 12


def nice_ceiling(value: float) -> float:
    """The axis top: a round number at or above `value`, at least 4 so that the four grid
    steps of an empty or tiny chart are whole units rather than repeated rounded labels."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 4, 5, 10) if step * magnitude >= value)


def _axis(max_value: float, fmt) -> str:
    lines = []
    for i in range(5):
        value = max_value * i / 4
        y = H - PAD_B - (H - PAD_B - PAD_T) * i / 4
        lines.append(
            f'<line x1="{PAD_L}" x2="{W - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e8eb"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="#5d6675">{escape(fmt(value))}</text>'
        )
    return "".join(lines)


def bar_chart(
    points: list[tuple[str, float]],
    *,
    title: str,
    fmt=lambda v: f"{v:,.0f}",
    color: str = "#0a7d5a",
) -> SafeString:
    """Bars for (label, value) points; labels thinned out so they stay readable."""
    max_value = nice_ceiling(max([v for _, v in points] + [0]))
    n = max(len(points), 1)
    slot = (W - PAD_L - 8) / n
    bars, labels = [], []
    every = max(1, n // 10)
    for i, (label, value) in enumerate(points):
        h = (H - PAD_B - PAD_T) * (value / max_value)
        x = PAD_L + i * slot + slot * 0.15
        bars.append(
            f'<rect x="{x:.1f}" y="{H - PAD_B - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{color}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        if i % every == 0:
            labels.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{H - 8}" text-anchor="middle" font-size="10" '
                f'fill="#5d6675">{escape(label)}</text>'
            )
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{_axis(max_value, fmt)}"
        f"{''.join(bars)}{''.join(labels)}</svg>"
    )


def line_chart(
    points: list[tuple[str, float | None]],
    *,
    title: str,
    fmt=lambda v: f"{v:,.0f}",
    max_value: float | None = None,
    color: str = "#1f5fbf",
) -> SafeString:
    """A line through the points that have a value (gaps are skipped)."""
    values = [v for _, v in points if v is not None]
    top = max_value or nice_ceiling(max([*values, 0]))
    n = max(len(points) - 1, 1)
    coords = []
    dots = []
    labels = []
    every = max(1, len(points) // 10)
    for i, (label, value) in enumerate(points):
        x = PAD_L + (W - PAD_L - 12) * i / n
        if i % every == 0:
            labels.append(
                f'<text x="{x:.1f}" y="{H - 8}" text-anchor="middle" font-size="10" '
                f'fill="#5d6675">{escape(label)}</text>'
            )
        if value is None:
            continue
        y = H - PAD_B - (H - PAD_B - PAD_T) * (value / top)
        coords.append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></circle>"
        )
    line = (
        f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(coords)}"/>'
        if len(coords) > 1
        else ""
    )
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{_axis(top, fmt)}"
        f"{line}{''.join(dots)}{''.join(labels)}</svg>"
    )
