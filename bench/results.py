"""The bench's results table: one row per measure, with what it is compared with.

A part returns ``Row`` objects, or ``(name, value, goal)`` tuples for a measure without a
reference; ``table`` lays both out as measure | measured | reference | ratio | goal | ok.
"""

from dataclasses import dataclass

COLUMNS = ("measure", "measured", "reference", "ratio", "goal", "ok")


@dataclass
class Row:
    name: str
    measured: str
    reference: str = ""  # the figure measured in the same run that the goal compares with
    ratio: str = ""
    goal: str = ""
    met: bool | None = None  # None: no goal, or not decidable from this run


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def timed_row(
    name: str,
    measured: float,
    reference: float,
    goal: str,
    *,
    at_most: float | None = None,
    below_ms: float | None = None,
) -> Row:
    """A row of two times in milliseconds whose goal is ``measured <= at_most x reference``
    or ``measured < below_ms`` (neither: no goal, the row is for the record)."""
    ratio = measured / reference if reference else float("inf")
    if at_most is not None:
        met = ratio <= at_most
    else:
        met = measured < below_ms if below_ms is not None else None
    return Row(name, ms(measured), ms(reference), f"{ratio:.2f}x", goal, met)


def as_row(result) -> Row:
    if isinstance(result, Row):
        return result
    name, value, goal = result
    return Row(name, str(value), goal=str(goal))


def table(results: list) -> str:
    """The rows under a header, each column as wide as its widest cell."""
    cells = [COLUMNS] + [cells_of(as_row(result)) for result in results]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(line.rstrip() for line in lines)


def cells_of(row: Row) -> tuple[str, ...]:
    ok = {True: "yes", False: "NO", None: ""}[row.met]
    return (row.name, row.measured, row.reference, row.ratio, row.goal, ok)
