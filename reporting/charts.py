"""Charts as server-rendered SVG, the same for pages and PDFs: readable without JavaScript,
each with a <title> and a <desc> as its text alternative."""

import datetime
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

INK, ACCENT, MUTED, LINE = "#1d2733", "#0b5cad", "#8a96a3", "#d8dee6"
STATUS_COLOURS = {
    "met": "#1e6b35",
    "on_track": "#0b5cad",
    "at_risk": "#b07800",
    "behind": "#b3261e",
    "no_data": "#8a96a3",
}


def number(value) -> str:
    """Danish number format: 1.234,5."""
    if value is None:
        return "–"
    text = f"{Decimal(value):,.1f}".rstrip("0").rstrip(".")
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def svg(width: int, height: int, title: str, desc: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        'height="{h}" role="img" class="chart"><title>{t}</title><desc>{d}</desc>{b}</svg>',
        w=width,
        h=height,
        t=title,
        d=desc,
        b=body,
    )


def sparkline(values: list, *, title: str, width: int = 120, height: int = 28) -> SafeString:
    """A goal's history as a small line; the text alternative lists the values."""
    points = [float(v) for v in values if v is not None]
    desc = ", ".join(number(v) for v in points) or "–"
    if len(points) < 2:
        return svg(width, height, title, desc, SafeString(""))
    low, high = min(points), max(points)
    span = (high - low) or 1
    step = (width - 4) / (len(points) - 1)
    coords = " ".join(
        f"{2 + i * step:.1f},{height - 3 - (p - low) / span * (height - 6):.1f}"
        for i, p in enumerate(points)
    )
    body = format_html(
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', coords, ACCENT
    )
    return svg(width, height, title, desc, body)


def bar_chart(
    rows: list[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 560,
    bar_height: int = 18,
) -> SafeString:
    """Horizontal bars with their labels and values written out."""
    label_width, gap = 170, 6
    height = max(1, len(rows)) * (bar_height + gap) + gap
    top = max((float(value or 0) for _, value in rows), default=0) or 1
    scale = (width - label_width - 70) / top
    # format_html escapes its arguments into strings: numbers are formatted first.
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" font-size="11" fill="{}">{}{}</text>',
        (
            (
                label_width - 6,
                gap + i * (bar_height + gap) + bar_height - 5,
                INK,
                label,
                label_width,
                gap + i * (bar_height + gap),
                f"{float(value or 0) * scale:.1f}",
                bar_height,
                ACCENT,
                f"{label_width + float(value or 0) * scale + 4:.1f}",
                gap + i * (bar_height + gap) + bar_height - 5,
                INK,
                number(value),
                unit,
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    desc = "; ".join(f"{label}: {number(value)}{unit}" for label, value in rows)
    return svg(width, height, title, desc, bars)


def pace_chart(
    history: list[tuple[datetime.date, float]],
    *,
    target: float,
    start: datetime.date,
    end: datetime.date,
    title: str,
    width: int = 560,
    height: int = 200,
) -> SafeString:
    """The value so far against the straight line from zero to the target."""
    pad = 30
    days = max(1, (end - start).days)
    top = max([float(target or 0)] + [float(v) for _, v in history if v is not None]) or 1

    def x(day):
        return pad + (day - start).days / days * (width - 2 * pad)

    def y(value):
        return height - pad - float(value) / top * (height - 2 * pad)

    line = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>',
        f"{x(start):.1f}",
        f"{y(0):.1f}",
        f"{x(end):.1f}",
        f"{y(target):.1f}",
        MUTED,
    )
    actual = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in history if value is not None)
    body = format_html(
        '{}<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>'
        '<line x1="{p}" y1="{b}" x2="{r}" y2="{b}" stroke="{l}"/>'
        '<text x="{p}" y="{t}" font-size="11" fill="{i}">{s}</text>'
        '<text x="{r}" y="{t}" font-size="11" text-anchor="end" fill="{i}">{e}</text>',
        line,
        actual,
        ACCENT,
        p=pad,
        b=height - pad,
        r=width - pad,
        l=LINE,
        t=height - 10,
        i=INK,
        s=f"{start:%d.%m.%Y}",
        e=f"{end:%d.%m.%Y}",
    )
    desc = "; ".join(f"{day:%d.%m.%Y}: {number(value)}" for day, value in history)
    return svg(width, height, title, f"{desc}. Mål {number(target)}", body)
