"""Reading the records API: the consent rule on sessions, filters, query counts that do not
grow with rows, and the OpenAPI schema."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from stdnum.dk import cvr as stdnum_cvr

from crm.models import IndustryCode
from crm.services import do_add_contact, do_create_company
from tests.conftest import CVRS
from tests.crm.test_api import TODAY, ids, log_session, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, company, founder):
    """A company and a founder in Viborg (tests/conftest.py), a session with the company, and
    a company in Aarhus."""
    return {
        "company": company,
        "founder": founder,
        "session": log_session(world, company),
        "foreign_company": do_create_company(
            world.outsider, cvr=CVRS[1], name="Aarhus Bageri ApS", municipality=world.other
        ),
    }


# --- The consent rule ----------------------------------------------------------------------


def test_hub_sees_another_operators_sessions_only_while_the_company_consents(world, records):
    session = records["session"]
    hub = world.client_for(world.triage)
    detail = reverse("api-session-detail", args=[session.pk])

    def hub_sees() -> bool:
        listed = session.pk in ids(hub.get(reverse("api-session-list")))
        assert (hub.get(detail).status_code == 200) == listed
        return listed

    assert not hub_sees()

    contact = do_add_contact(world.consultant, records["company"], name="Bo Smed")
    consent = post(
        world.client_for(world.consultant),
        reverse("api-consent-list"),
        {
            "company": records["company"].pk,
            "given_on": timezone.localdate().isoformat(),
            "method": "email",
            "given_by": contact.pk,
            "scope": "all",
        },
    ).json()
    assert hub_sees()

    withdraw = reverse("api-consent-withdraw", args=[consent["id"]])
    assert post(world.client_for(world.consultant), withdraw, {}).status_code == 200
    assert not hub_sees()


def test_hub_sees_a_companys_registry_facts_without_consent(world, records):
    url = reverse("api-company-detail", args=[records["company"].pk])

    body = world.client_for(world.triage).get(url).json()

    assert (body["name"], body["cvr"], body["municipality_code"]) == (
        "Østergaard Smedie ApS",
        CVRS[0],
        "791",
    )


# --- Filters -------------------------------------------------------------------------------


def test_companies_filter_by_municipality_code_and_industry(world, records):
    industry = IndustryCode.objects.get(code="621000")
    software = do_create_company(
        world.consultant,
        cvr=CVRS[3],
        name="Kode ApS",
        municipality=world.home,
        industry_code=industry,
    )
    client = world.client_for(world.triage)
    url = reverse("api-company-list")

    assert set(ids(client.get(url, {"municipality": "791"}))) == {
        records["company"].pk,
        software.pk,
    }
    assert ids(client.get(url, {"municipality": "751"})) == [records["foreign_company"].pk]
    assert ids(client.get(url, {"industry_code": "62"})) == [software.pk]


def test_sessions_filter_by_theme_and_dates(world, records):
    later = TODAY + datetime.timedelta(days=18)  # records' session is on TODAY
    green = log_session(world, records["company"], date=later, themes=["green"])
    client = world.client_for(world.consultant)
    url = reverse("api-session-list")
    between = (TODAY + datetime.timedelta(days=8)).isoformat()

    assert ids(client.get(url, {"theme": "green"})) == [green.pk]
    assert ids(client.get(url, {"date_from": between})) == [green.pk]
    assert ids(client.get(url, {"date_to": between})) == [records["session"].pk]
    assert client.get(url, {"theme": "astrology"}).status_code == 400


# --- Query counts --------------------------------------------------------------------------


def valid_cvrs(count: int) -> list[str]:
    numbers = (str(n) for n in range(30000000, 30100000))
    return [n for n in numbers if stdnum_cvr.is_valid(n)][:count]


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_company_list_query_count_does_not_grow_with_rows(world, django_assert_num_queries):
    industry = IndustryCode.objects.get(code="621000")
    cvrs = valid_cvrs(30)
    for number in cvrs[:3]:
        do_create_company(
            world.consultant,
            cvr=number,
            name=number,
            municipality=world.home,
            industry_code=industry,
        )
    client, url = world.client_for(world.consultant), reverse("api-company-list")
    few = count_queries(client, url)
    for number in cvrs[3:]:
        do_create_company(
            world.consultant,
            cvr=number,
            name=number,
            municipality=world.home,
            industry_code=industry,
        )

    with django_assert_num_queries(few):
        assert len(ids(client.get(url))) == 30


def test_session_list_query_count_does_not_grow_with_rows(
    world, records, django_assert_num_queries
):
    client, url = world.client_for(world.consultant), reverse("api-session-list")
    log_session(world, records["founder"], consultants=[world.consultant, world.manager])
    log_session(world, records["company"])
    few = count_queries(client, url)
    for n in range(27):
        subject = records["company"] if n % 2 else records["founder"]
        log_session(world, subject, consultants=[world.consultant, world.manager])

    with django_assert_num_queries(few):
        assert len(ids(client.get(url))) == 30


# --- Schema --------------------------------------------------------------------------------


def test_openapi_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/consents/{id}/withdraw/" in target.read_text()


def test_schema_endpoint_lists_the_records_api(world):
    response = world.client_for(world.consultant).get(
        reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for name in [
        "companies",
        "contacts",
        "founders",
        "sessions",
        "consents",
        "networks",
        "projects",
        "enrolments",
    ]:
        assert f"/api/v1/{name}/" in paths
        assert f"/api/v1/{name}/{{id}}/" in paths


def test_company_list_pages_by_cursor_in_name_order(world):
    numbers = valid_cvrs(55)
    for number in numbers:
        do_create_company(
            world.consultant, cvr=number, name=f"Firma {number}", municipality=world.home
        )
    client, url, seen = world.client_for(world.consultant), reverse("api-company-list"), []
    while url:
        page = client.get(url).json()
        seen += [row["cvr"] for row in page["results"]]
        url = page["next"]

    assert seen == numbers
