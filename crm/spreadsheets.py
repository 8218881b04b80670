"""CSV and XLSX files of a table (a header and rows): the one writer of every export
(contracts, reporting, imports' error files), and the one reader of uploaded tables (the
evaluation import, the migration import).

The CSV is Danish Excel's own dialect, so that a double-click opens it in columns: a semicolon
between cells, a decimal comma, dates as dd.mm.yyyy and a UTF-8 byte order mark (without it
Excel reads the file as Windows-1252 and "Ø" turns into "Ã˜"). In the XLSX a date is a date
cell and a number a number cell, so that both sort and sum.

Text that a spreadsheet would take for a formula is written as text: a company named
``=HYPERLINK(...)`` must not become a link in the file a consultant opens (OWASP, CSV
injection).
"""

import csv
import datetime
import io
import itertools
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.services import DomainError

# OWASP's list: a cell starting with one of these is read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATE_FORMAT, DATETIME_FORMAT = "%d.%m.%Y", "%d.%m.%Y %H:%M"
XLSX_DATE, XLSX_DATETIME = "dd.mm.yyyy", "dd.mm.yyyy hh:mm"


def table_response(header: list[str], rows: list[list], *, name: str, fmt: str) -> HttpResponse:
    """The table as a download ``name``.``fmt``; a format other than CSV or XLSX does not
    exist (404)."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    data = table_file(header, rows, fmt=fmt, title=name)
    return file_response(data, CONTENT_TYPES[fmt], f"{name}.{fmt}")


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


def local(value: datetime.datetime) -> datetime.datetime:
    """A stored (aware) time as the wall-clock time in Denmark, without a zone: what a
    spreadsheet can hold."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def csv_cell(value) -> str:
    """A cell as Danish Excel reads it: 3,5 and 02.03.2026; a bool as ja/nej."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime.datetime):
        return local(value).strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    return "" if value is None else str(value)


def table_csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows([csv_cell(value) for value in row] for row in safe_rows(header, rows))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def table_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook  # only exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])  # Excel's limit on sheet names
    for row in safe_rows(header, rows):
        sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_cell(sheet, value):
    """Dates and times as date cells shown the Danish way; everything else as it is
    (openpyxl writes int, float and Decimal as number cells)."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(sheet, value=local(value))
        cell.number_format = XLSX_DATETIME
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE
        return cell
    return value


# --- Reading -------------------------------------------------------------------------------


class Unreadable(DomainError):
    """The file is neither UTF-8 CSV nor XLSX, or a broken one."""

    def __init__(self):
        super().__init__(
            _("Filen kan ikke læses: indlæs en CSV-fil (UTF-8, ; eller ,) eller en XLSX-fil.")
        )


def file_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """(line, cells as text) of every non-empty row of a CSV (UTF-8, ; or ,) or XLSX file, the
    header first; an empty or unreadable file is refused (``DomainError``, ``Unreadable``)."""
    if not data.strip():
        raise DomainError(_("Filen er tom."))
    rows = xlsx_rows(data) if data[:4] == b"PK\x03\x04" else csv_rows(data)
    rows = [(line, row) for line, row in rows if any(row)]
    if not rows:
        raise DomainError(_("Filen er tom."))
    return rows


def cell_text(value) -> str:
    """An XLSX cell as the CSV would write it (dates dd.mm.yyyy, whole numbers as digits)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = [
            [cell_text(v) for v in row]
            for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise Unreadable from error
    return list(enumerate(rows, start=1))


def csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable from error
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if ";" in first else ",")
    try:
        return [(reader.line_num, [cell.strip() for cell in row]) for row in reader]
    except csv.Error as error:
        raise Unreadable from error


def choice_map(choices, *aliases: tuple[str, str]) -> dict[str, str]:
    """Answer text (as a file writes it, any case) or stored value -> stored value. Files
    write Danish: the labels' source text, whatever language is active."""
    with translation.override(None):
        mapping = {str(label).lower(): value for value, label in choices}
    mapping.update({value: value for value, _label in choices})
    mapping.update(aliases)
    return mapping
