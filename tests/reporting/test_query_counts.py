"""The report list page and the exports query no more with 3N rows than with N.

The report list endpoint is counted in tests/reporting/test_api.py."""

import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting.models import Report
from tests.contracts.test_query_counts import contracts_of
from tests.counting import assert_queries_do_not_grow, page_rows
from tests.crm.test_query_counts import Rows, enrolment
from tests.referrals.test_query_counts import refer_to_hub_or_adviser

pytestmark = pytest.mark.django_db


def test_report_list_page_does_not_query_per_row(world):
    """The manager's list: half-year reports of contracts and company summaries, each of a
    contract or company of its own."""
    add_contracts, rows, numbers = contracts_of(world), Rows(world), itertools.count()

    def add(count):
        for _ in range(count):
            if next(numbers) % 2:
                about = {"contract": add_contracts(1)[0]}
            else:
                about = {"company": rows.company()}
            Report.objects.create(
                kind="half_year" if "contract" in about else "company",
                period_start=timezone.localdate().replace(day=1),
                period_end=timezone.localdate(),
                created_by=world.manager,
                **about,
            )

    assert_queries_do_not_grow(
        world.client_for(world.manager), reverse("report-list"), add, page_rows("reports")
    )


def csv_rows(response) -> int:
    return len(response.content.decode("utf-8-sig").strip().splitlines()) - 1  # the header


def test_referral_export_does_not_query_per_row(world):
    rows = Rows(world)
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("export-referrals", args=["csv"]),
        rows.adder(lambda i: refer_to_hub_or_adviser(rows, i)),
        csv_rows,
    )


def test_participant_export_does_not_query_per_row(world):
    rows = Rows(world)
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("export-participants", args=["csv"]),
        rows.adder(lambda i: enrolment(rows, i)),
        csv_rows,
        params={"programme": "Vækstspor"},
    )
