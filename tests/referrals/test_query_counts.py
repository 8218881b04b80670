"""The referral lists, pages and API, query no more with 3N rows than with N.

The triage queue page is counted in tests/referrals/test_views.py, the referral list endpoint
in tests/referrals/test_api.py."""

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import Adviser
from referrals.services import send_referral
from tests.conftest import record_consent
from tests.counting import api_rows, assert_queries_do_not_grow, page_rows
from tests.crm.test_query_counts import Rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    return Rows(world)


def refer(rows, i, **target):
    """A referral of a new company or founder (who consents) to the hub, or to ``target``."""
    world = rows.world
    subject = rows.subject(i)
    record_consent(world.consultant, subject, given_on=timezone.localdate(), scope="all")
    return send_referral(
        world.consultant,
        subject,
        sender_operator=world.local,
        reason=f"Henvisning {i}",
        themes=["export"],
        **(target or {"target_operator": world.hub}),
    )


def refer_to_hub_or_adviser(rows, i):
    if i % 2:
        return refer(rows, i)
    adviser = Adviser.objects.create(name=f"Rådgiver {i}", kind="funding")
    return refer(rows, i, target_adviser=adviser)


def test_sent_referrals_page_does_not_query_per_row(world, rows):
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("referral-sent"),
        rows.adder(lambda i: refer_to_hub_or_adviser(rows, i)),
        page_rows("page"),
    )


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        ("inbox", page_rows("page")),  # a notification per referral to the hub
        ("api-notification-list", api_rows),
        ("api-referral-queue", api_rows),
    ],
)
def test_the_hubs_lists_do_not_query_per_row(world, rows, name, listed):
    assert_queries_do_not_grow(
        world.client_for(world.triage),
        reverse(name),
        rows.adder(lambda i: refer(rows, i)),
        listed,
    )


def test_adviser_register_does_not_query_per_row(world):
    def add(count):
        start = Adviser.objects.count()
        for i in range(start, start + count):
            Adviser.objects.create(name=f"Rådgiver {i}", kind="funding")

    assert_queries_do_not_grow(
        world.client_for(world.consultant), reverse("api-adviser-list"), add, api_rows
    )
