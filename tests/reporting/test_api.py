"""The reports API (/api/v1/reports/): the same rules as the report pages, walked as the four
kinds of user; an official asks for a contract's annual report and downloads the PDF."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from contracts.models import Contract, Goal
from contracts.services import compute_attainment
from reporting.models import Report
from tests.conftest import assert_four_users

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = datetime.date.today()


@pytest.fixture
def contract(world):
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt Viborg",
        starts_on=D(TODAY.year, 1, 1),
        ends_on=D(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    Goal.objects.create(
        contract=contract,
        number="1",
        title="Kontaktede virksomheder",
        indicator="companies_contacted",
        target=40,
    )
    compute_attainment(contract, TODAY)
    return contract


def stored(world, contract, kind: str, by) -> Report:
    """A report row as the services store it (rendering is tested where it is asked for)."""
    return Report.objects.create(
        kind=kind,
        contract=contract,
        period_start=contract.starts_on,
        period_end=TODAY,
        created_by=by,
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def ask(client: Client, contract, kind: str = "annual"):
    return client.post(
        reverse("api-report-list"),
        {"contract": contract.pk, "kind": kind},
        content_type="application/json",
    )


def test_report_list_as_on_the_page(world, contract, company):
    annual = stored(world, contract, "annual", world.viewer)
    settlement = stored(world, contract, "settlement", world.manager)
    summary = Report.objects.create(kind="company", company=company, created_by=world.consultant)
    url = reverse("api-report-list")

    assert ids(world.client_for(world.viewer).get(url)) == [annual.pk]
    # A settlement lists registrations: only whoever asked for it sees it in the list.
    assert ids(world.client_for(world.manager).get(url)) == [settlement.pk, annual.pk]
    assert ids(world.client_for(world.consultant).get(url)) == [summary.pk, annual.pk]
    assert ids(world.client_for(world.outsider).get(url)) == []
    assert Client().get(url).status_code == 401


def test_report_list_filters_by_contract_and_kind(world, contract):
    annual = stored(world, contract, "annual", world.viewer)
    stored(world, contract, "half_year", world.viewer)
    client, url = world.client_for(world.viewer), reverse("api-report-list")

    assert ids(client.get(url, {"kind": "annual"})) == [annual.pk]
    assert len(ids(client.get(url, {"contract": contract.pk}))) == 2
    assert ids(client.get(url, {"contract": 0})) == []


def test_a_result_report_reads_for_every_member(world, contract):
    report = stored(world, contract, "annual", world.manager)
    url = reverse("api-report-detail", args=[report.pk])

    # Officials read a contract's result reports; nobody in the municipality lacks the right.
    response = world.client_for(world.viewer).get(url)
    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["state"]) == ("annual", "pending")
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 401


def test_a_settlement_report_is_for_managers(world, contract):
    report = stored(world, contract, "settlement", world.manager)

    for name in ("api-report-detail", "api-report-file"):
        url = reverse(name, args=[report.pk])
        ok = 200 if name == "api-report-detail" else 404  # not rendered yet
        assert_four_users(
            world, url, allowed=world.manager, no_right=world.consultant, ok=ok, api=True
        )


def test_a_company_summary_for_the_four_users(world, company):
    report = Report.objects.create(kind="company", company=company, created_by=world.consultant)

    assert_four_users(
        world, reverse("api-report-detail", args=[report.pk]), allowed=world.consultant, api=True
    )


def test_official_asks_for_the_annual_report_and_downloads_it(
    world, contract, django_capture_on_commit_callbacks
):
    client = world.client_for(world.viewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, contract)

    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert (body["kind"], body["contract"], body["created_by"]) == (
        "annual",
        contract.pk,
        world.viewer.pk,
    )
    assert (report.period_start, report.period_end) == (contract.starts_on, TODAY)
    read = client.get(reverse("api-report-detail", args=[report.pk])).json()
    assert read["state"] == "done"
    assert read["file_url"].endswith(reverse("api-report-file", args=[report.pk]))

    download = client.get(reverse("api-report-file", args=[report.pk]))

    assert download["Content-Type"] == "application/pdf"
    data = b"".join(download.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Resultatkontrakt Viborg" in text


def test_report_request_for_the_four_users(world, contract):
    """Every member may ask for a result report (the viewer 201); the outsider's contract id
    does not exist for it (400, as in crm.api); anonymous 401. Nothing stored when refused."""
    assert ask(world.client_for(world.outsider), contract).status_code == 400
    assert ask(Client(), contract).status_code == 401
    assert not Report.objects.exists()

    assert ask(world.client_for(world.viewer), contract).status_code == 201
    assert Report.objects.get().created_by == world.viewer


def test_only_result_reports_are_asked_for_through_the_api(world, contract):
    for kind in ("settlement", "company", "weekly"):
        response = ask(world.client_for(world.manager), contract, kind)
        assert response.status_code == 400 and "kind" in response.json()
    assert not Report.objects.exists()


def test_the_file_of_a_result_report_for_members_only(world, contract):
    report = stored(world, contract, "annual", world.viewer)
    url = reverse("api-report-file", args=[report.pk])

    response = world.client_for(world.viewer).get(url)

    assert response.status_code == 404 and "ikke klar" in response.json()["detail"]
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 401


def test_report_list_query_count_does_not_grow_with_rows(
    world, contract, django_assert_num_queries
):
    from tests.crm.test_api_reads import count_queries

    for _ in range(3):
        stored(world, contract, "annual", world.viewer)
    client, url = world.client_for(world.viewer), reverse("api-report-list")
    few = count_queries(client, url)
    for _ in range(27):
        stored(world, contract, "half_year", world.viewer)

    with django_assert_num_queries(few):
        assert len(ids(client.get(url))) == 30
