"""CSV and XLSX files of a table (a header and rows), for every export (contracts, reporting)."""

import csv
import io

from django.http import HttpResponse

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_file(header: list[str], rows: list[list], *, fmt: str, title: str) -> bytes:
    """The table as a file of format ``fmt`` (a key of CONTENT_TYPES); ``title`` names the
    XLSX sheet."""
    return table_xlsx(header, rows, title) if fmt == "xlsx" else table_csv(header, rows)


def file_response(data: bytes, content_type: str, name: str) -> HttpResponse:
    """``data`` as a download named ``name``."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def table_csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def table_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook  # only exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])  # Excel's limit on sheet names
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
