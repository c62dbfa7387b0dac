"""Small charts as inline SVG, drawn on the server, so that the report pack's HTML page
and the PDF WeasyPrint makes from it show the same charts with no script and no
download. Two shapes are enough for the pack: horizontal bars and lines over years.
Every chart carries its numbers as text too (a bar's value, a point's title), and the
pack prints each chart's table beside it."""

from __future__ import annotations

from html import escape

PALETTE = ("#1f5f8b", "#d9822b", "#3c8d40", "#b83b5e", "#6a4c93", "#8c6d1f", "#2a9d8f")
FONT = 'font-family="DejaVu Sans, sans-serif"'


def _number(value: float | int, unit: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text}{' ' + unit if unit else ''}"


def bar_chart(
    bars: list[tuple[str, float | int | None]],
    *,
    unit: str = "",
    maximum: float | None = None,
    width: int = 640,
) -> str:
    """Horizontal bars, one per (label, value), the value written at the bar's end
    (a missing value is written as a dash, with no bar)."""
    if not bars:
        return _empty(width)
    label_width, bar_height, gap = 190, 18, 6
    top = max((v for _, v in bars if v is not None), default=0) or 1
    scale = (width - label_width - 70) / float(maximum or top)
    height = len(bars) * (bar_height + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT} font-size="11">'
    ]
    for i, (label, value) in enumerate(bars):
        y = gap + i * (bar_height + gap)
        middle = y + bar_height / 2 + 4
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{middle}" text-anchor="end">{escape(short)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_width + 4}" y="{middle}">—</text>')
            continue
        length = max(value * scale, 1.0)
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {_number(value, unit)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + length + 4:.1f}" y="{middle}">{_number(value, unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    x_labels: list[str],
    series: dict[str, list[float | None]],
    *,
    unit: str = "",
    maximum: float = 100.0,
    width: int = 640,
    height: int = 260,
) -> str:
    """One line per series over `x_labels` (a gap where a value is missing), a y axis
    from 0 to `maximum` with gridlines, and a legend under the plot."""
    if not x_labels or not series:
        return _empty(width)
    left, right, top, plot_height = 44, 16, 12, height - 40
    legend_rows = (len(series) + 2) // 3
    total_height = height + legend_rows * 18
    step = (width - left - right) / max(len(x_labels) - 1, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_height}" '
        f'viewBox="0 0 {width} {total_height}" role="img" {FONT} font-size="11">'
    ]

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / maximum)

    for tick in range(0, 101, 25):
        level = maximum * tick / 100
        y = y_of(level)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_number(level, unit)}</text>'
        )
    for i, label in enumerate(x_labels):
        x = left + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_height + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for i, value in enumerate(values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x, y = left + i * step, y_of(value)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                f"{escape(name)}, {escape(x_labels[i])}: {_number(value, unit)}</title></circle>"
            )
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
        lx = left + (n % 3) * ((width - left) / 3)
        ly = height + (n // 3) * 18
        short = name if len(name) <= 28 else name[:27] + "…"
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14:.1f}" y="{ly}">{escape(short)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _empty(width: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="24" role="img" '
        f'{FONT} font-size="11"><text x="0" y="16">Nothing to show.</text></svg>'
    )
