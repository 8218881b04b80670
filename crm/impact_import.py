"""Companies' figures by year from a file (CSV or XLSX, header first), recorded with the source
"imported" (crm.impact: an import never overwrites the register's or the company's own
figure). Columns, any order and case: cvr, år, årsværk, omsætning, bruttofortjeneste,
eksportandel, status; numbers as Danish files write them (1.234.567 and 12,5)."""

import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from crm.impact import do_record_year
from crm.models import Company
from crm.models.impact import Source
from crm.services import DomainError
from crm.spreadsheets import choice_map, file_rows

COLUMNS = {
    "cvr": "cvr",
    "år": "year",
    "årsværk": "employees_fte",
    "omsætning": "revenue",
    "bruttofortjeneste": "gross_profit",
    "eksportandel": "export_share",
    "status": "status",
}
THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")  # 1.234.567: dots that group thousands


def number(text: str) -> Decimal | None:
    if not text:
        return None
    text = text.replace(" ", "")
    text = text.replace(".", "") if THOUSANDS.match(text) or "," in text else text
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise DomainError(_("'%(text)s' er ikke et tal.") % {"text": text}) from None


def figures_of(cells: dict) -> dict:
    statuses = choice_map(Company.Status.choices)
    status = cells.get("status", "").lower()
    if status and status not in statuses:
        raise DomainError(_("Ukendt status '%(status)s'.") % {"status": cells["status"]})
    whole = {"revenue", "gross_profit"}
    values = {
        name: number(cells.get(name, ""))
        for name in ("employees_fte", "revenue", "gross_profit", "export_share")
    }
    values = {k: (int(v) if k in whole and v is not None else v) for k, v in values.items()}
    return {**values, "status": statuses.get(status)}


@transaction.atomic
def do_import_years(data: bytes) -> dict:
    """Record every readable line; returns ``recorded`` and ``errors`` (line, message): an
    unknown CVR number, a year outside 1990 until this year or a number that is none."""
    (_line, header), *lines = file_rows(data)
    names = [COLUMNS.get(cell.strip().lower(), "") for cell in header]
    if not {"cvr", "year"} <= set(names):
        raise DomainError(_("Filen skal have kolonnerne 'cvr' og 'år'."))
    companies = dict(Company.objects.values_list("cvr", "pk"))
    recorded, errors = 0, []
    for line, row in lines:
        cells = {name: cell for name, cell in zip(names, row, strict=False) if name}
        try:
            recorded += record_line(cells, companies)
        except DomainError as error:
            errors.append((line, str(error)))
    return {"recorded": recorded, "errors": errors}


def record_line(cells: dict, companies: dict) -> int:
    company_id = companies.get(cells["cvr"].replace(" ", ""))
    if company_id is None:
        raise DomainError(_("CVR-nummeret %(cvr)s er ikke registreret.") % {"cvr": cells["cvr"]})
    year = number(cells["year"])
    if year is None or year != int(year):
        raise DomainError(_("Året mangler."))
    company = Company(pk=company_id)
    with transaction.atomic():
        do_record_year(company, int(year), source=Source.IMPORTED, **figures_of(cells))
    return 1
