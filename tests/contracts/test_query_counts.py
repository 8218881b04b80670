"""The contract lists, page and API, query no more with 3N rows than with N.

The snapshot list is counted in tests/contracts/test_api.py."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Evaluation, Goal
from contracts.services import compute_attainment
from tests.counting import api_rows, assert_queries_do_not_grow, page_rows

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def contracts_of(world):
    """``add(k)``: k more contracts of Viborg (with Aarhus on every other), each with a goal
    and a milestone."""
    numbers = itertools.count()

    def add(count):
        added = []
        for _ in range(count):
            number = next(numbers)
            contract = Contract.objects.create(
                kind="performance",
                title=f"Resultatkontrakt {number}",
                starts_on=datetime.date(TODAY.year, 1, 1),
                ends_on=datetime.date(TODAY.year, 12, 31),
                status="active",
            )
            contract.municipalities.set([world.home] + [world.other] * (number % 2))
            contract.parties.set([world.local, world.hub])
            Goal.objects.create(
                contract=contract,
                number="1",
                title="Kontaktede virksomheder",
                indicator="companies_contacted",
                target=40,
            )
            Goal.objects.create(contract=contract, number="2", title="Klynge", is_milestone=True)
            added.append(contract)
        return added

    return add


@pytest.mark.parametrize(
    ("name", "listed"),
    [("contract-list", page_rows("contracts")), ("api-contract-list", api_rows)],
)
def test_contract_lists_do_not_query_per_row(world, name, listed):
    assert_queries_do_not_grow(
        world.client_for(world.viewer), reverse(name), contracts_of(world), listed
    )


def test_goal_list_does_not_query_per_row(world):
    add_contracts = contracts_of(world)
    assert_queries_do_not_grow(
        world.client_for(world.viewer),
        reverse("api-goal-list"),
        lambda count: add_contracts(count // 2),  # two goals a contract
        api_rows,
        n=6,
    )


def test_evaluation_list_does_not_query_per_row(world, company):
    def add(count):
        Evaluation.objects.bulk_create(
            Evaluation(
                operator=[world.local, world.hub][i % 2],
                company=company,
                municipality=world.home,
                answered_on=TODAY - datetime.timedelta(days=i),
                themes=["export"],
                satisfaction="very",
                nps=9,
                effect="high",
                source="Brugerevaluering",
            )
            for i in range(count)
        )

    assert_queries_do_not_grow(
        world.client_for(world.viewer), reverse("api-evaluation-list"), add, api_rows
    )


def goals_of(contract):
    """``add(k)``: k more computed goals of ``contract``, measured again (as of today)."""
    numbers = itertools.count(10)

    def add(count):
        for _ in range(count):
            Goal.objects.create(
                contract=contract,
                number=str(next(numbers)),
                title="Vejledninger",
                indicator="sessions",
                target=100,
            )
        compute_attainment(contract, TODAY)

    return add


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        ("contract-detail", page_rows("goals")),  # every goal with its municipalities
        ("contract-dashboard", page_rows("tiles")),  # a tile per computed goal
    ],
)
def test_contract_pages_do_not_query_per_goal(world, name, listed):
    (contract,) = contracts_of(world)(1)
    contract.municipalities.add(world.other)
    assert_queries_do_not_grow(
        world.client_for(world.viewer),
        reverse(name, args=[contract.pk]),
        goals_of(contract),
        listed,
    )
