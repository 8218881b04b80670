"""The annual profile of the guided companies (seed 001 §7) as a PDF and an XLSX, on a small
hand-counted set."""

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from contracts.models import Contract
from crm import impact, services
from crm.models import Company
from crm.models.impact import Source
from crm.spreadsheets import xlsx_rows
from reporting import services as reporting_services
from reporting.models import Report

pytestmark = pytest.mark.django_db
D = datetime.date


def company_in(world, cvr, code, municipality=None, **fields):
    return Company.objects.create(
        cvr=cvr,
        name=f"Firma {cvr}",
        municipality=municipality or world.home,
        industry_code_db07=code,
        **fields,
    )


def guide(user, operator, company, date):
    services.do_log_session(
        user, company, operator=operator, date=date, tier="local", channel="visit"
    )


@pytest.fixture
def profiled(world):
    """Contract 2024-2025 (Viborg, its local service): the profile year is 2025.
    Guided in 2025: A (62) 5 FTE (3 in 2024), DKK 2,000,000, 25 % export; B (62) 10 FTE
    (10 in 2024), DKK 1,000,000, no export share given; C (47) no figures. D (47) guided by
    Aarhus' local service in Aarhus: not the contract's. Guided in 2022 (survival after
    three years): E active in the register, F ceased in 2025. Jobs created 2, survival 50 %."""
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale Viborg",
        starts_on=D(2024, 1, 1),
        ends_on=D(2025, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    a, b, c = (
        company_in(world, f"3000000{n}", code)
        for n, code in enumerate(["621000", "620100", "471100"])
    )
    d = company_in(world, "30000003", "471100", world.other)
    e, f = company_in(world, "30000004", "471100"), company_in(world, "30000005", "471100")
    for company in (a, b, c):
        guide(world.consultant, world.local, company, D(2025, 3, 1))
    guide(world.outsider, world.other_local, d, D(2025, 3, 1))
    for company in (e, f):
        guide(world.consultant, world.local, company, D(2022, 3, 1))
    record = impact.do_record_year
    record(a, 2024, source=Source.REGISTER, employees_fte=Decimal(3))
    record(a, 2025, source=Source.REGISTER, employees_fte=Decimal(5))
    record(a, 2025, source=Source.REPORTED, revenue=2_000_000, export_share=Decimal(25))
    record(b, 2024, source=Source.IMPORTED, employees_fte=Decimal(10))
    record(b, 2025, source=Source.IMPORTED, employees_fte=Decimal(10), revenue=1_000_000)
    record(d, 2025, source=Source.IMPORTED, employees_fte=Decimal(99), revenue=9_000_000)
    record(f, 2025, source=Source.REPORTED, status="ceased")
    return contract


def test_the_profile_pdf_shows_industry_revenue_export_employment_and_survival(
    world, profiled, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = reporting_services.request_report(
            world.viewer, kind=Report.Kind.PROFILE, contract=profiled
        )
    report.refresh_from_db()

    assert report.state == Report.State.DONE, report.error
    reader = PdfReader(io.BytesIO(report.file.open("rb").read()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Årlig profil af de vejledte virksomheder 2025" in text
    assert "opgjort 31.12.2025" in text
    assert "62 " in text and "47 " in text
    assert "3.000.000" in text  # revenue of the two companies in 62
    assert "500.000" in text  # export: 25 % of A's 2,000,000
    assert "9.000.000" not in text  # D is Aarhus' local service's
    assert "Arbejdspladser skabt i vejledte virksomheder: 2 årsværk" in text
    assert "Overlevelsesrate for vejledte virksomheder: 50 %" in text
    assert "kontrolgruppe" not in text and "Antal år: 3." in text


def test_the_profile_xlsx_has_a_line_per_industry_the_total_and_the_indicators(world, profiled):
    url = reverse("export-profile", args=[profiled.pk, "xlsx"])

    response = world.client_for(world.viewer).get(url)

    rows = [cells for _n, cells in xlsx_rows(response.getvalue())]
    assert rows[0][:3] == ["År", "Branche (DB07)", "Vejledte virksomheder"]
    body = {cells[1][:2]: cells[2:] for cells in rows[1:3]}
    assert body["47"][0] == "1" and body["62"][:3] == ["2", "15", "3000000"]
    assert body["62"][3] in ("500000", "500000.00", "500000.0")
    assert rows[3][1:4] == ["I alt", "3", "15"]
    assert rows[4][1].startswith("Arbejdspladser skabt") and rows[4][2] == "2"
    assert rows[5][1].startswith("Overlevelsesrate") and rows[5][2] in ("50", "50.0")


def test_the_profile_xlsx_for_the_four_users(world, profiled):
    url = reverse("export-profile", args=[profiled.pk, "xlsx"])
    # Figures per industry, no person data: every member of the municipality reads them.
    assert world.client_for(world.viewer).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_the_dashboard_asks_for_the_profile_pdf(world, profiled):
    client = world.client_for(world.viewer)
    dashboard = client.get(reverse("contract-dashboard", args=[profiled.pk])).content.decode()

    response = client.post(reverse("contract-report", args=[profiled.pk, "profile"]))

    assert reverse("export-profile", args=[profiled.pk, "xlsx"]) in dashboard
    assert reverse("contract-report", args=[profiled.pk, "profile"]) in dashboard
    assert response.status_code == 302
    assert Report.objects.get().kind == Report.Kind.PROFILE
