"""The record lists, pages and API, query no more with 3N rows than with N.

Companies, sessions and the follow-ups are counted in tests/crm/test_records.py and
tests/crm/test_api_reads.py."""

import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from tests.conftest import record_consent
from tests.counting import api_rows, assert_queries_do_not_grow, page_rows
from tests.crm.test_api_reads import valid_cvrs

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


class Rows:
    """New records of the consultant of Viborg, each on a company or founder of its own."""

    def __init__(self, world):
        self.world = world
        self.cvrs = iter(valid_cvrs(40))
        self.numbers = itertools.count(1000)
        self.made = itertools.count()

    def company(self):
        return services.do_create_company(
            self.world.consultant,
            cvr=next(self.cvrs),
            name=f"Firma {next(self.numbers)} ApS",
            municipality=self.world.home,
        )

    def founder(self):
        number = next(self.numbers)
        return services.do_create_founder(
            self.world.consultant,
            cpr_number=f"020285{number}",  # 2 February 1985
            name=f"Iværksætter {number}",
            municipality=self.world.home,
        )

    def subject(self, i: int):
        return self.company() if i % 2 else self.founder()

    def adder(self, make):
        """``add(k)``: ``make(i)`` k times, ``i`` counting on over every call."""
        return lambda k: [make(next(self.made)) for _ in range(k)]


@pytest.fixture
def rows(world):
    return Rows(world)


def network(rows, i):
    world = rows.world
    return services.do_create_network(
        world.consultant,
        name=f"Erfa {i}",
        kind="erfa",
        municipality=world.home,
        started_on=TODAY,
        municipalities=[world.home, world.other],
        members=[rows.company(), rows.company()],
    )


def test_network_page_does_not_query_per_row(world, rows):
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("network-list"),
        rows.adder(lambda i: network(rows, i)),
        page_rows("page"),
    )


def contact(rows, i):
    return services.do_add_contact(
        rows.world.consultant, rows.company(), name=f"Kontakt {i}", email=f"k{i}@firma.dk"
    )


def project(rows, i):
    return services.do_add_project(
        rows.world.consultant,
        rows.company(),
        title=f"Projekt {i}",
        identified_on=TODAY,
        funding="lag",
    )


def consent(rows, i):
    world = rows.world
    return record_consent(
        world.consultant,
        rows.subject(i),
        given_on=TODAY,
        scope="named",
        operators=[world.hub, world.other_local],
    )


def enrolment(rows, i):
    return services.do_enrol_programme(
        rows.world.consultant,
        rows.subject(i),
        programme="Vækstspor",
        growth_level="B",
        started_on=TODAY,
    )


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("api-contact-list", contact),
        ("api-founder-list", lambda rows, i: rows.founder()),
        ("api-consent-list", consent),
        ("api-network-list", network),
        ("api-project-list", project),
        ("api-enrolment-list", enrolment),
    ],
)
def test_record_endpoints_do_not_query_per_row(world, rows, name, make):
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse(name),
        rows.adder(lambda i: make(rows, i)),
        api_rows,
    )
