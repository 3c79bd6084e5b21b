"""Small server-side SVG charts (no JavaScript, no CDN).

Sized so their text stays readable where they are drawn: the SVG is 480 units wide and
its labels 15 units high, which stays above 11 px on a phone and near 15 px on a desk.
Each bar or point shows its day and value on hover, tap or keyboard focus (a CSS-only
tooltip, `.chart .pt:hover .tip` in merchant.css), and has an SVG <title> for screen
readers.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

W, H, PAD_L, PAD_B, PAD_T, PAD_R = 480, 230, 70, 30, 34, 10
FONT = 15
TICKS = 5  # x-axis labels shown at most


def label_value(label: str, value: str) -> str:
    """A point's tooltip, '8 Nov: $12.00'; French puts a no-break space before the colon."""
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


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
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e8eb"/>'
            f'<text x="{PAD_L - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="#5d6675">{escape(fmt(value))}</text>'
        )
    return "".join(lines)


def _x_label(x: float, label: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{H - 8}" text-anchor="middle" font-size="{FONT}" '
        f'fill="#5d6675">{escape(label)}</text>'
    )


def _tip(x: float, y: float, text: str) -> str:
    """A label box above (x, y), kept inside the chart."""
    width = 12 + len(text) * FONT * 0.56
    left = min(max(x - width / 2, 0), W - width)
    top = max(y - FONT - 16, 0)
    return (
        f'<g class="tip"><rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" '
        f'height="{FONT + 10}" rx="5" fill="#1d2330"/>'
        f'<text x="{left + width / 2:.1f}" y="{top + FONT + 2:.1f}" text-anchor="middle" '
        f'font-size="{FONT}" fill="#fff">{escape(text)}</text></g>'
    )


def _every(n: int) -> int:
    return max(1, math.ceil(n / TICKS))


def _svg(title: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated text is escaped by the callers
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


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
    slot = (W - PAD_L - PAD_R) / n
    bars, labels = [], []
    every = _every(n)
    for i, (label, value) in enumerate(points):
        h = (H - PAD_B - PAD_T) * (value / max_value)
        x = PAD_L + i * slot
        text = label_value(label, fmt(value))
        bars.append(
            f'<g class="pt" tabindex="0"><title>{escape(text)}</title>'
            f'<rect class="hit" x="{x:.1f}" y="{PAD_T}" width="{slot:.1f}" '
            f'height="{H - PAD_B - PAD_T}" fill="transparent"/>'
            f'<rect x="{x + slot * 0.15:.1f}" y="{H - PAD_B - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{color}"/>{_tip(x + slot / 2, H - PAD_B - h, text)}</g>'
        )
        if i % every == 0:
            labels.append(_x_label(x + slot / 2, label))
    return _svg(title, f"{_axis(max_value, fmt)}{''.join(labels)}{''.join(bars)}")


def line_chart(
    points: list[tuple[str, float | None]],
    *,
    title: str,
    fmt=lambda v: f"{v:,.0f}",
    max_value: float | None = None,
    color: str = "#1f5fbf",
) -> SafeString:
    """A line through the points that have a value, broken where a day has none (a line
    across it would draw a rate for a day that had nothing to measure)."""
    values = [v for _, v in points if v is not None]
    top = max_value or nice_ceiling(max([*values, 0]))
    n = max(len(points) - 1, 1)
    step = (W - PAD_L - PAD_R - 12) / n
    segments: list[list[str]] = [[]]
    dots, labels = [], []
    every = _every(len(points))
    for i, (label, value) in enumerate(points):
        x = PAD_L + 6 + step * i
        if i % every == 0:
            labels.append(_x_label(x, label))
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        y = H - PAD_B - (H - PAD_B - PAD_T) * (value / top)
        text = label_value(label, fmt(value))
        segments[-1].append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<g class="pt" tabindex="0"><title>{escape(text)}</title>'
            f'<rect class="hit" x="{x - step / 2:.1f}" y="{PAD_T}" width="{step:.1f}" '
            f'height="{H - PAD_B - PAD_T}" fill="transparent"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>{_tip(x, y, text)}</g>'
        )
    lines = "".join(
        f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{" ".join(coords)}"/>'
        for coords in segments
        if len(coords) > 1
    )
    return _svg(title, f"{_axis(top, fmt)}{''.join(labels)}{lines}{''.join(dots)}")
