"""The reporting pages, PDF requests and exports walked as the four kinds of user, where
tests/reporting/test_reporting.py checks what they hold."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Goal
from crm import services
from reporting.models import ExportLog, Report
from tests.conftest import assert_four_users

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def viborg_contract(world):
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt Viborg",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    Goal.objects.create(
        contract=contract, number="1", title="Kontakter", indicator="companies_contacted"
    )
    return contract


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_company_summary_request_for_the_four_users(world, company):
    assert_four_users(
        world,
        reverse("company-report", args=[company.pk]),
        method="post",
        allowed=world.consultant,
        ok=302,
    )
    # Only the consultant's request was stored.
    assert list(Report.objects.values_list("kind", "created_by")) == [
        ("company", world.consultant.pk)
    ]


@pytest.mark.parametrize("kind", ["annual", "half_year"])
def test_contract_report_request_outside_the_municipality_and_anonymous(
    world, viborg_contract, kind
):
    url = reverse("contract-report", args=[viborg_contract.pk, kind])

    assert world.client_for(world.manager).post(url).status_code == 302
    assert world.client_for(world.outsider).post(url).status_code == 404
    assert_sent_to_login(Client().post(url))
    assert Report.objects.filter(created_by=world.manager).count() == 1
    assert Report.objects.count() == 1


def test_activity_dashboard_for_the_four_users(world):
    url = reverse("activity-dashboard")
    # No municipality of its own: whoever manages contracts nowhere gets 403, the outsider too.
    assert world.client_for(world.manager).get(url).status_code == 200
    for user in (world.consultant, world.viewer, world.outsider):
        assert world.client_for(user).get(url).status_code == 403
    assert_sent_to_login(Client().get(url))


def test_my_month_for_the_four_users(world, company):
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content="Fortroligt",
    )
    url = reverse("my-month")

    assert len(world.client_for(world.consultant).get(url).context["sessions"]) == 1
    assert world.client_for(world.viewer).get(url).status_code == 403
    # The outsider's own month: nothing of Viborg's.
    assert list(world.client_for(world.outsider).get(url).context["sessions"]) == []
    assert_sent_to_login(Client().get(url))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_goal_export_for_the_four_users(world, viborg_contract, fmt):
    url = reverse("export-goals", args=[viborg_contract.pk, fmt])
    # Every member of the municipality reads the goals: the 403 walk has nobody to refuse.
    assert world.client_for(world.viewer).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert_sent_to_login(Client().get(url))


def test_participant_export_for_the_four_users(world, company, founder):
    for subject in (company, founder):
        services.do_enrol_programme(
            world.consultant, subject, programme="Vækstspor", growth_level="B", started_on=TODAY
        )
    url, query = reverse("export-participants", args=["csv"]), {"programme": "Vækstspor"}

    assert world.client_for(world.consultant).get(url, query).status_code == 200
    assert world.client_for(world.viewer).get(url, query).status_code == 403
    # No municipality in the URL: the outsider gets Aarhus's participants, here none.
    outsider = world.client_for(world.outsider).get(url, query)
    assert outsider.status_code == 200
    assert outsider.content.decode("utf-8-sig").strip().splitlines()[1:] == []
    assert_sent_to_login(Client().get(url, query))
    assert list(ExportLog.objects.values_list("user", "rows").order_by("pk")) == [
        (world.consultant.pk, 2),
        (world.outsider.pk, 0),
    ]
