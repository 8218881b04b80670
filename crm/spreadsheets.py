"""CSV and XLSX files of a table (a header and rows), for every export (contracts, reporting).

Text that a spreadsheet would take for a formula is written as text: a company named
``=HYPERLINK(...)`` must not become a link in the file a consultant opens (OWASP, CSV
injection).
"""

import csv
import io
import itertools

from django.http import HttpResponse

# OWASP's list: a cell starting with one of these is read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_file(header: list[str], rows: list[list], *, fmt: str, title: str) -> bytes:
    """The table as a file of format ``fmt`` (a key of CONTENT_TYPES); ``title`` names the
    XLSX sheet."""
    return table_xlsx(header, rows, title) if fmt == "xlsx" else table_csv(header, rows)


def as_text(value):
    """A cell as written: text starting like a formula gets a leading apostrophe, which
    spreadsheets show as text; numbers, negative ones too, and dates stay what they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_rows(header: list, rows: list[list]):
    """The header and the rows, each cell through ``as_text``."""
    for row in itertools.chain([header], rows):
        yield [as_text(value) for value in row]


def file_response(data: bytes, content_type: str, name: str) -> HttpResponse:
    """``data`` as a download named ``name``."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def table_csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(safe_rows(header, rows))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def table_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook  # only exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])  # Excel's limit on sheet names
    for row in safe_rows(header, rows):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
