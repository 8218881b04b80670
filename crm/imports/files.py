"""Files: the error file of a batch's bad rows, and CSV text for tests and the bench."""

import csv
import io

from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import ImportBatch
from crm.spreadsheets import table_csv


def error_file(batch: ImportBatch) -> bytes:
    """The bad rows in the file's own columns (CPR masked), each with its line and reasons,
    as CSV: fix them in the original file and upload it again."""

    by_line: dict[int, dict] = {}
    for error in batch.errors:
        entry = by_line.setdefault(error["line"], {"cells": error["cells"], "reasons": []})
        entry["reasons"].append(f"{error['column']}: {error['reason']}")
    with translation.override(None):
        header = [_("Linje"), *batch.columns, _("Fejl")]
    rows = [
        [line, *[entry["cells"].get(c, "") for c in batch.columns], "; ".join(entry["reasons"])]
        for line, entry in sorted(by_line.items())
    ]
    return table_csv(header, rows)


def error_lines(batch: ImportBatch) -> int:
    return len({error["line"] for error in batch.errors})


def csv_text(rows: list[list[str]]) -> bytes:
    """A CSV file of ``rows`` (tests and the bench build import files with it)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode()
