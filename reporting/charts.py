"""Charts as server-rendered SVG, the same for pages and PDFs: readable without JavaScript,
each with a <title> and a <desc> as its text alternative."""

import datetime
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

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


def bar_chart(rows: list[tuple[str, float]], *, title: str, unit: str = "") -> SafeString:
    """Horizontal bars as a table: a label, a bar and its value written out. The words are
    the page's own text (legible at any width, read by screen readers as a table); only the
    bar is drawn, stretched to its cell."""
    if not rows:
        return format_html('<p class="empty">{}</p>', _("Intet at vise i perioden."))
    top = max((float(value or 0) for _, value in rows), default=0) or 1
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td class="bar"><svg viewBox="0 0 100 10" '
        'preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect width="{}" height="10" fill="{}"/></svg></td><td class="num">{}{}</td></tr>',
        (
            (label, f"{float(value or 0) / top * 100:.1f}", ACCENT, number(value), unit)
            for label, value in rows
        ),
    )
    return format_html(
        '<table class="bar-chart"><caption>{}</caption><tbody>{}</tbody></table>', title, body
    )


AXIS_FONT = 14  # px at the chart's own width; the page never shows it narrower (CSS)


def ticks(top: float) -> list[float]:
    """Four or five round values from 0 to at least ``top`` for the value axis."""
    raw = top / 4
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(5) if step * (i - 1) < top]


def pace_chart(
    history: list[tuple[datetime.date, float]],
    *,
    target: float,
    start: datetime.date,
    end: datetime.date,
    title: str,
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """The value so far against the straight line from zero to the target, on a value axis
    with round ticks and a time axis from the period's start to its end."""
    left, right, top_pad, bottom = 56, 20, 14, 44
    days = max(1, (end - start).days)
    values = [float(v) for _, v in history if v is not None]
    scale = ticks(max([float(target or 0), *values]) or 1)
    top = scale[-1] or 1

    def x(day):
        return left + (day - start).days / days * (width - left - right)

    def y(value):
        return height - bottom - float(value) / top * (height - top_pad - bottom)

    middle = start + datetime.timedelta(days=days // 2)
    body = format_html(
        "{}{}{}{}",
        value_axis(scale, y, left, width - right),
        time_axis([start, middle, end], x, height - bottom),
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.5" '
            'stroke-dasharray="6 4"/>',
            f"{x(start):.1f}",
            f"{y(0):.1f}",
            f"{x(end):.1f}",
            f"{y(target):.1f}",
            MUTED,
        ),
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>',
            " ".join(f"{x(day):.1f},{y(v):.1f}" for day, v in history if v is not None),
            ACCENT,
        ),
    )
    desc = "; ".join(f"{day:%d.%m.%Y}: {number(value)}" for day, value in history)
    return svg(width, height, title, f"{desc}. Mål {number(target)}", body)


def value_axis(scale: list[float], y, x0: float, x1: float) -> SafeString:
    """Grid lines at the ticks, each labelled left of the plot."""
    return format_html_join(
        "",
        '<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="{c}"/>'
        '<text x="{lx}" y="{ty}" font-size="{f}" text-anchor="end" fill="{i}">{v}</text>',
        (
            {
                "x0": x0,
                "x1": x1,
                "y": f"{y(tick):.1f}",
                "c": LINE,
                "lx": x0 - 6,
                "ty": f"{y(tick) + AXIS_FONT / 3:.1f}",
                "f": AXIS_FONT,
                "i": INK,
                "v": number(tick),
            }
            for tick in scale
        ),
    )


def time_axis(days: list[datetime.date], x, base: float) -> SafeString:
    """The dates under the plot: the first left-aligned, the last right-aligned."""
    anchors = ["start", "middle", "end"]
    return format_html_join(
        "",
        '<line x1="{x}" y1="{b}" x2="{x}" y2="{t}" stroke="{c}"/>'
        '<text x="{x}" y="{ty}" font-size="{f}" text-anchor="{a}" fill="{i}">{d}</text>',
        (
            {
                "x": f"{x(day):.1f}",
                "b": base,
                "t": base + 5,
                "c": INK,
                "ty": base + 8 + AXIS_FONT,
                "f": AXIS_FONT,
                "a": anchor,
                "i": INK,
                "d": f"{day:%d.%m.%Y}",
            }
            for day, anchor in zip(days, anchors, strict=True)
        ),
    )
