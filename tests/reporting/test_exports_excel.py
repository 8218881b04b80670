"""The exports open right in Danish Excel: CSV with a UTF-8 byte order mark, a semicolon
between cells, a decimal comma and dd.mm.yyyy dates; XLSX with date cells and number cells.
Every export is linked from the page it belongs to."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from contracts.models import Snapshot
from crm import services
from crm.spreadsheets import table_csv

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def danish_csv(data: bytes) -> list[list[str]]:
    """The rows as Excel with Danish settings reads them: it needs the BOM to read UTF-8."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


def xlsx_rows(data: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows()]


def test_a_snapshot_exports_with_a_decimal_comma_and_a_date_cell(world, contract):
    client = world.client_for(world.viewer)
    as_csv = danish_csv(client.get(reverse("export-snapshots", args=[contract.pk, "csv"])).content)
    as_xlsx = xlsx_rows(client.get(reverse("export-snapshots", args=[contract.pk, "xlsx"])).content)

    snap = Snapshot.objects.get(goal__number="1", municipality=None, as_of=TODAY)
    attainment = str(snap.attainment).replace(".", ",")
    assert as_csv[2][3:7] == [f"{TODAY:%d.%m.%Y}", "1,00", "40,00", attainment]
    day, value, target = as_xlsx[2][3:6]
    assert day.is_date and day.value.date() == TODAY and day.number_format == "dd.mm.yyyy"
    assert (value.data_type, value.value, target.data_type, target.value) == ("n", 1, "n", 40)


def test_the_referral_export_has_date_cells(world, referral):
    client = world.client_for(world.consultant)

    header, row = xlsx_rows(client.get(reverse("export-referrals", args=["xlsx"])).content)
    as_csv = danish_csv(client.get(reverse("export-referrals", args=["csv"])).content)

    sent, due = row[0], row[5]
    assert sent.is_date and sent.value.date() == timezone.localdate(referral.sent_at)
    assert due.is_date and due.value.date() == referral.due_on
    assert as_csv[1][0] == f"{timezone.localdate(referral.sent_at):%d.%m.%Y}"
    assert as_csv[1][6] == ""  # not contacted yet: an empty cell, not "None"


def test_csv_cells_in_danish():
    at = timezone.make_aware(datetime.datetime(2026, 6, 1, 10, 30), datetime.UTC)
    row = [Decimal("-1234.5"), 2.25, 7, True, at, None, "-3"]

    [cells] = danish_csv(table_csv(["a"] * 7, [row]))[1:]

    assert cells == ["-1234,5", "2,25", "7", "ja", "01.06.2026 12:30", "", "'-3"]


def test_every_export_is_linked_from_its_page(world, contract, referral, company):
    services.do_enrol_programme(
        world.consultant, company, programme="Vækstspor", growth_level="B", started_on=TODAY
    )
    dashboard = world.client_for(world.viewer).get(
        reverse("contract-dashboard", args=[contract.pk])
    )
    sent = world.client_for(world.consultant).get(reverse("referral-sent"))
    activity = world.client_for(world.manager).get(reverse("activity-dashboard"))

    for name in ("export-goals", "export-snapshots"):
        for fmt in ("csv", "xlsx"):
            assert reverse(name, args=[contract.pk, fmt]) in dashboard.text
    for page in (sent, activity):
        assert reverse("export-referrals", args=["csv"]) in page.text
        assert reverse("export-referrals", args=["xlsx"]) in page.text
    assert f'action="{reverse("export-participants", args=["csv"])}"' in activity.text
    assert "<option>Vækstspor</option>" in activity.text
