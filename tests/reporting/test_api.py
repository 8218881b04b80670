"""The reports API (/api/v1/reports/): the same rules as the report pages, walked as the four
kinds of user; an official asks for a contract's annual report and downloads the PDF."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from contracts.models import Contract, Goal
from contracts.services import compute_attainment
from reporting.models import Report
from tests.conftest import assert_four_users

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


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


def stored(world, contract, kind: str, by, *, published: bool = True) -> Report:
    """A report row as the services store it (rendering is tested where it is asked for);
    an annual report published unless told otherwise."""
    publish = kind == "annual" and published
    return Report.objects.create(
        kind=kind,
        contract=contract,
        period_start=contract.starts_on,
        period_end=TODAY,
        created_by=by,
        published_at=timezone.now() if publish else None,
        published_by=world.manager if publish else None,
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


def test_official_asks_for_the_half_year_follow_up_and_downloads_it(
    world, contract, django_capture_on_commit_callbacks
):
    client = world.client_for(world.viewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, contract, "half_year")

    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert (body["kind"], body["contract"], body["created_by"]) == (
        "half_year",
        contract.pk,
        world.viewer.pk,
    )
    # No period given: the half-year holding today.
    first = D(TODAY.year, 1 if TODAY.month <= 6 else 7, 1)
    assert (report.period_start, report.period_end) == (first, TODAY)
    read = client.get(reverse("api-report-detail", args=[report.pk])).json()
    assert read["state"] == "done"
    assert read["file_url"].endswith(reverse("api-report-file", args=[report.pk]))

    download = client.get(reverse("api-report-file", args=[report.pk]))

    assert download["Content-Type"] == "application/pdf"
    data = b"".join(download.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Resultatkontrakt Viborg" in text


def test_report_request_for_the_four_users(world, contract):
    """Every member may ask for the half-year follow-up (the viewer 201), a manager for the
    annual report (the viewer 403); the outsider's contract id does not exist for it (400,
    as in crm.api); anonymous 401. Nothing stored when refused."""
    assert ask(world.client_for(world.outsider), contract, "half_year").status_code == 400
    assert ask(Client(), contract, "half_year").status_code == 401
    assert ask(world.client_for(world.viewer), contract, "annual").status_code == 403
    assert not Report.objects.exists()

    assert ask(world.client_for(world.viewer), contract, "half_year").status_code == 201
    assert ask(world.client_for(world.manager), contract, "annual").status_code == 201
    assert [r.created_by for r in Report.objects.order_by("pk")] == [world.viewer, world.manager]


def test_a_chosen_follow_up_period_is_checked(world, contract):
    client = world.client_for(world.viewer)

    def ask_for(start, end):
        return client.post(
            reverse("api-report-list"),
            {
                "contract": contract.pk,
                "kind": "half_year",
                "period_start": start,
                "period_end": end,
            },
            content_type="application/json",
        )

    outside = ask_for(f"{TODAY.year - 1}-07-01", f"{TODAY.year - 1}-12-31")
    backwards = ask_for(f"{TODAY.year}-06-30", f"{TODAY.year}-01-01")
    assert outside.status_code == 400 and "kontraktens periode" in outside.json()["detail"]
    assert backwards.status_code == 400 and "efter til-datoen" in backwards.json()["detail"]
    assert not Report.objects.exists()

    assert ask_for(f"{TODAY.year}-01-01", TODAY.isoformat()).status_code == 201


def test_comments_and_publishing_through_the_api_for_the_four_users(world, contract):
    draft = stored(world, contract, "annual", world.manager, published=False)
    goal = contract.goals.get()
    comments = reverse("api-report-comments", args=[draft.pk])
    body = {"comments": {str(goal.pk): "Tæt på målet."}}

    assert_four_users(world, comments, method="post", data=body, allowed=world.manager, api=True)
    assert draft.comments.get().text == "Tæt på målet."
    # A draft: the official neither lists it nor reads it.
    assert ids(world.client_for(world.viewer).get(reverse("api-report-list"))) == []
    Report.objects.filter(pk=draft.pk).update(state="done")
    publish = reverse("api-report-publish", args=[draft.pk])
    assert world.client_for(world.viewer).post(publish).status_code == 403
    response = world.client_for(world.manager).post(publish)
    assert response.status_code == 200 and response.json()["published_at"]
    # Published: final (a change now conflicts with it: 409), and the official's to read.
    again = world.client_for(world.manager).post(comments, body, content_type="application/json")
    assert again.status_code == 409 and "offentliggjort" in again.json()["detail"]
    detail = reverse("api-report-detail", args=[draft.pk])
    assert world.client_for(world.viewer).get(detail).status_code == 200
    assert ids(world.client_for(world.viewer).get(reverse("api-report-list"))) == [draft.pk]


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


def test_comments_on_another_contracts_goal_are_refused_whole(world, contract):
    draft = stored(world, contract, "annual", world.manager, published=False)
    other = Contract.objects.create(
        kind="performance", title="Anden", starts_on=contract.starts_on, ends_on=contract.ends_on
    )
    foreign = Goal.objects.create(contract=other, number="1", title="Fremmed")
    own = contract.goals.get()
    body = {"comments": {str(own.pk): "Fint.", str(foreign.pk): "Nej."}}

    response = world.client_for(world.manager).post(
        reverse("api-report-comments", args=[draft.pk]), body, content_type="application/json"
    )

    assert response.status_code == 400 and "kontraktens egne mål" in response.json()["detail"]
    assert not draft.comments.exists()
