"""Charts as inline SVG, drawn on the server: no script, a few hundred bytes each, readable by any browser.

Each function returns the ``<svg>`` only; the page puts a visually hidden table of the same numbers next to it
(for screen readers and text browsers). Coordinates are rounded to one decimal: the chart is the data, scaled.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 320
LINE_HEIGHT = 120
PAD = 4  # keeps strokes and dots inside the view box
BAR_HEIGHT = 14
BAR_GAP = 6
LABEL_WIDTH = 104


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def scale_max(values: Sequence[int]) -> int:
    """The top of the value axis: the largest value, at least 1 (an empty chart is flat, not undefined)."""
    return max([1, *values])


def line_points(
    values: Sequence[int], top: int, width: int = WIDTH, height: int = LINE_HEIGHT
) -> list[tuple[float, float]]:
    """Where each value of a day series is drawn: days spread evenly left to right, ``top`` at the top edge."""
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    step = inner_w / (len(values) - 1) if len(values) > 1 else 0.0
    x0 = PAD if len(values) > 1 else width / 2
    return [(round(x0 + i * step, 1), round(PAD + inner_h * (1 - v / top), 1)) for i, v in enumerate(values)]


def line_chart(label_id: str, title: str, series: Sequence[tuple[str, str, Sequence[int]]]) -> Markup:
    """Lines of day series sharing one scale: ``series`` is (css class, name, values)."""
    top = scale_max([v for _, _, values in series for v in values])
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {LINE_HEIGHT}" role="img" aria-labelledby="{label_id}">'
        f'<title id="{label_id}">{escape(title)}</title>'
        f'<line class="ax" x1="{PAD}" y1="{LINE_HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{LINE_HEIGHT - PAD}"/>'
    ]
    for css, _name, values in series:
        points = line_points(values, top)
        joined = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        if len(points) > 1:
            parts.append(f'<polyline class="{css}" points="{joined}"/>')
        else:
            parts.append(f'<circle class="{css}" cx="{_n(points[0][0])}" cy="{_n(points[0][1])}" r="3"/>')
    parts.append(f'<text class="tk" x="{PAD}" y="12">{top}</text></svg>')
    return Markup("".join(parts))  # noqa: S704 - labels are escaped, the rest are numbers and our ids


def bar_widths(values: Sequence[int], width: int = WIDTH - LABEL_WIDTH - 40) -> list[float]:
    top = scale_max(values)
    return [round(width * v / top, 1) for v in values]


def bar_chart(label_id: str, title: str, bars: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, value), on one scale; each bar's value is written at its end."""
    height = len(bars) * (BAR_HEIGHT + BAR_GAP)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{label_id}">'
        f'<title id="{label_id}">{escape(title)}</title>'
    ]
    for i, ((label, value), w) in enumerate(zip(bars, bar_widths([v for _, v in bars]), strict=True)):
        y = i * (BAR_HEIGHT + BAR_GAP)
        parts.append(
            f'<text x="0" y="{y + 11}">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{_n(w)}" height="{BAR_HEIGHT}"/>'
            f'<text x="{_n(LABEL_WIDTH + w + 4)}" y="{y + 11}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels are escaped, the rest are numbers and our ids


def funnel(label_id: str, title: str, steps: Sequence[tuple[str, int]]) -> Markup:
    """A funnel: one centred bar per step, as wide as its share of the first step."""
    height = len(steps) * (BAR_HEIGHT + BAR_GAP)
    first = steps[0][1] if steps and steps[0][1] else scale_max([v for _, v in steps])
    usable = WIDTH - LABEL_WIDTH - 40
    parts = [
        f'<svg class="chart fn" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{label_id}">'
        f'<title id="{label_id}">{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(steps):
        y = i * (BAR_HEIGHT + BAR_GAP)
        w = round(usable * min(value / first, 1.0), 1) if first else 0.0
        x = LABEL_WIDTH + (usable - w) / 2
        parts.append(
            f'<text x="0" y="{y + 11}">{escape(label)}</text>'
            f'<rect x="{_n(x)}" y="{y}" width="{_n(w)}" height="{BAR_HEIGHT}"/>'
            f'<text x="{WIDTH - 36}" y="{y + 11}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels are escaped, the rest are numbers and our ids
