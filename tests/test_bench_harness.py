"""The bench's results table: rows with a reference and plain (name, value, goal) rows."""

from bench.results import Row, table, timed_row


def test_a_ratio_row_is_met_at_the_limit_and_not_beyond():
    assert timed_row("page", 15.0, 10.0, "<= 1.5x", at_most=1.5).met is True
    assert timed_row("page", 15.1, 10.0, "<= 1.5x", at_most=1.5).met is False


def test_a_time_row_is_judged_on_the_measured_time_alone():
    row = timed_row("search", 29.0, 2.0, "p95 < 30 ms", below_ms=30)
    assert (row.measured, row.reference, row.ratio, row.met) == (
        "29.0 ms",
        "2.0 ms",
        "14.50x",
        True,
    )
    assert timed_row("search", 1500.0, 2.0, "p95 < 30 ms", below_ms=30).measured == "1.50 s"


def test_the_table_lays_out_rows_and_tuples_in_the_same_columns():
    lines = table(
        [Row("sessions list", "9.0 s", "3.0 s", "3.00x", "<= 1.5x", False), ("load", "1 s", "")]
    ).splitlines()
    assert lines[0].split() == ["measure", "measured", "reference", "ratio", "goal", "ok"]
    assert lines[2].split() == [
        "sessions",
        "list",
        "9.0",
        "s",
        "3.0",
        "s",
        "3.00x",
        "<=",
        "1.5x",
        "NO",
    ]
    assert lines[3].split() == ["load", "1", "s"]
    assert lines[2].index("9.0 s") == lines[3].index("1 s") == lines[0].index("measured")
