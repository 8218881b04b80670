"""A company's figures over the years: which source wins, what follows from them, and the
register's annual employment fetched from a local test register."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from crm import impact, merging, services
from crm.impact_import import do_import_years
from crm.models import CompanyYear
from crm.models.impact import Source
from crm.register_sync import do_refresh_from_register
from crm.services import DomainError
from tests.conftest import CVRS, assert_four_users
from tests.counting import assert_queries_do_not_grow, page_rows
from tests.crm.register_server import EXAMPLE_CVR, VirkRegister, use_virk, virk_document

pytestmark = pytest.mark.django_db


def test_a_follow_up_does_not_overwrite_the_registers_figure_but_fills_the_others(company):
    impact.do_record_year(company, 2024, source=Source.REGISTER, employees_fte=Decimal(5))

    row = impact.do_record_year(
        company, 2024, source=Source.REPORTED, employees_fte=Decimal(9), revenue=4_000_000
    )

    assert (row.employees_fte, row.employees_fte_source) == (Decimal(5), "register")
    assert (row.revenue, row.revenue_source) == (4_000_000, "reported")


def test_an_import_is_replaced_by_the_companys_own_figure(company):
    impact.do_record_year(company, 2024, source=Source.IMPORTED, revenue=1_000_000)

    row = impact.do_record_year(company, 2024, source=Source.REPORTED, revenue=1_200_000)

    assert (row.revenue, row.revenue_source) == (1_200_000, "reported")
    assert CompanyYear.objects.count() == 1


def test_a_year_in_the_future_is_refused(company):
    with pytest.raises(DomainError):
        impact.do_record_year(company, timezone.localdate().year + 1, source="reported")


def test_jobs_created_are_the_growth_in_full_time_equivalents_year_over_year(company):
    for year, fte in [(2022, "4.0"), (2023, "6.5"), (2024, "5.5")]:
        impact.do_record_year(company, year, source=Source.IMPORTED, employees_fte=Decimal(fte))

    years = impact.years_of(company)

    assert [(y["row"].year, y["jobs_created"]) for y in years] == [
        (2024, Decimal("-1.0")),
        (2023, Decimal("2.5")),
        (2022, None),
    ]


def test_survival_follows_the_years_status_else_the_register_today(company):
    impact.do_record_year(company, 2023, source=Source.REPORTED, status="ceased")

    assert impact.survived(company, 2023) is False
    assert impact.survived(company, 2024) is True  # active in the register today
    company.status = "ceased"
    company.save()
    assert impact.survived(company, 2024) is False


@pytest.mark.parametrize(
    ("fte", "band"), [(None, ""), ("9.9", "micro"), ("10", "small"), ("249", "medium")]
)
def test_size_bands(fte, band):
    assert impact.size_band(Decimal(fte) if fte else None) == band


def test_the_registers_annual_employment_is_fetched_as_the_companys_figures(
    world, settings, httpserver
):
    use_virk(settings, httpserver)
    company = services.do_create_company(
        world.consultant, cvr=EXAMPLE_CVR, name="Eksempel Rådgivning ApS", municipality=world.home
    )
    impact.do_record_year(company, 2023, source=Source.REPORTED, employees_fte=Decimal(7))
    document = virk_document()
    document["aarsbeskaeftigelse"].append({"aar": 2022, "antalAarsvaerk": 3})
    VirkRegister(httpserver, document)

    do_refresh_from_register(per_second=1000)

    years = {row.year: row for row in company.years.all()}
    assert {y: (r.employees_fte, r.employees_fte_source) for y, r in years.items()} == {
        2022: (Decimal(3), "register"),
        2023: (Decimal(5), "register"),  # the recorded payload: 5 årsværk in 2023
    }
    history = apps.get_model("crm", "CompanyYearEvent").objects.filter(pgh_obj_id=years[2023].pk)
    assert history.filter(pgh_context__metadata__source="company-year-register").exists()


def test_the_follow_up_form_for_the_four_users(world, company):
    url = reverse("company-years", args=[company.pk])
    assert_four_users(world, url, allowed=world.consultant)
    data = {"year": 2024, "revenue": 3_500_000, "employees_fte": "4,5", "export_share": "12,5"}
    assert_four_users(world, url, allowed=world.consultant, method="post", data=data, ok=302)

    row = company.years.get()
    assert (row.year, row.revenue, row.employees_fte, row.export_share) == (
        2024,
        3_500_000,
        Decimal("4.5"),
        Decimal("12.5"),
    )
    assert {row.revenue_source, row.employees_fte_source} == {"reported"}


def test_the_company_page_links_the_figures_which_show_their_source(world, company):
    impact.do_record_year(company, 2023, source=Source.REGISTER, employees_fte=Decimal(5))
    impact.do_record_year(company, 2024, source=Source.REPORTED, employees_fte=Decimal(8))
    client = world.client_for(world.consultant)

    detail = client.get(reverse("company-detail", args=[company.pk])).content.decode()
    page = client.get(reverse("company-years", args=[company.pk])).content.decode()

    assert reverse("company-years", args=[company.pk]) in detail
    assert "CVR-registeret" in page and "Oplyst af virksomheden" in page
    assert ">3<" in page  # jobs created 2023 -> 2024


def test_a_follow_up_for_a_future_year_is_refused(world, company):
    client = world.client_for(world.consultant)
    url = reverse("company-years", args=[company.pk])

    response = client.post(url, {"year": timezone.localdate().year + 1, "revenue": 1})

    assert response.status_code == 200
    assert not company.years.exists()


def test_merging_two_companies_combines_a_year_both_have_by_the_more_trusted_source(world):
    survivor, duplicate = (
        services.do_create_company(world.consultant, cvr=cvr, name=cvr, municipality=world.home)
        for cvr in CVRS[:2]
    )
    impact.do_record_year(survivor, 2023, source=Source.IMPORTED, employees_fte=Decimal(4))
    impact.do_record_year(
        duplicate, 2023, source=Source.REGISTER, employees_fte=Decimal(5), revenue=900_000
    )
    impact.do_record_year(duplicate, 2022, source=Source.REPORTED, revenue=800_000)

    merging.do_merge(world.manager, survivor, duplicate)

    years = {row.year: row for row in survivor.years.all()}
    assert (years[2023].employees_fte, years[2023].employees_fte_source) == (5, "register")
    assert years[2023].revenue == 900_000 and years[2022].revenue == 800_000
    assert CompanyYear.objects.count() == 2


def test_an_import_records_its_lines_as_imported_and_names_the_lines_it_refused(company):
    impact.do_record_year(company, 2023, source=Source.REPORTED, revenue=700_000)
    data = (
        "CVR;År;Årsværk;Omsætning;Eksportandel;Status\n"
        f"{company.cvr};2023;4,5;1.234.567;12,5;Aktiv\n"
        f"{company.cvr};2022;3;900.000;;\n"
        "12345674;2023;1;1;;\n"
        f"{company.cvr};2023;mange;;;\n"
    ).encode()

    result = do_import_years(data)

    assert result["recorded"] == 2
    assert [line for line, _message in result["errors"]] == [4, 5]
    years = {row.year: row for row in company.years.all()}
    assert (years[2023].employees_fte, years[2023].export_share) == (Decimal("4.5"), 12.5)
    assert years[2023].revenue == 700_000  # the company's own figure is kept
    assert (years[2022].revenue, years[2022].revenue_source) == (900_000, "imported")
    assert years[2023].status == "active"


def test_the_figures_page_queries_do_not_grow_with_the_years(world, company):
    years = iter(range(2000, 2030))

    def add_rows(n):
        for _ in range(n):
            impact.do_record_year(company, next(years), source=Source.IMPORTED, revenue=1)

    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("company-years", args=[company.pk]),
        add_rows,
        page_rows("years"),
    )
