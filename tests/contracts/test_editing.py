"""Managers of the parties edit contracts, goals, payment rules and budget lines, in the
browser and through the API, by the same services; officials and other operators' managers
read only; a foreign municipality or operator is refused without a write."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts import services
from contracts.models import BudgetLine, Contract, Goal, PaymentRule
from crm.models import Membership, Operator
from crm.services import DomainError, NotAllowed, do_set_operator_municipalities
from tests.conftest import assert_four_users, make_member

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def send(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def neighbour_manager(world):
    """A manager of another operator working in Viborg: not a party to the contract."""
    neighbour = Operator.objects.create(name="Arsenalet", kind=Operator.Kind.FOCUSED)
    do_set_operator_municipalities(neighbour, [world.home])
    return make_member(neighbour, Membership.Role.MANAGER)


def contract_form(world, **changes) -> dict:
    data = {
        "kind": "cooperation",
        "title": "Samarbejdsaftale 2027",
        "status": "draft",
        "parties": [world.local.pk],
        "oversight": "",
        "municipalities": [world.home.pk],
        "starts_on": "01.01.2027",
        "ends_on": "31.12.2027",
        "budget": "250000",
        "hourly_rate": "500",
    }
    return {**data, **changes}


# --- Who manages a contract ----------------------------------------------------------------


def test_only_managers_of_a_party_or_the_oversight_manage_a_contract(
    world, contract, neighbour_manager
):
    hub_manager = make_member(world.hub, Membership.Role.MANAGER)

    services.check_can_manage(world.manager, contract)
    for user in (neighbour_manager, hub_manager, world.viewer, world.consultant):
        with pytest.raises(NotAllowed):
            services.check_can_manage(user, contract)

    contract.oversight = world.hub
    contract.save()
    services.check_can_manage(hub_manager, contract)


def test_a_manager_of_another_operator_in_the_municipality_reads_but_does_not_edit(
    world, contract, neighbour_manager
):
    client = world.client_for(neighbour_manager)

    assert client.get(reverse("contract-detail", args=[contract.pk])).status_code == 200
    assert client.get(reverse("contract-edit", args=[contract.pk])).status_code == 403
    url = reverse("api-contract-detail", args=[contract.pk])
    assert send(client, "patch", url, {"title": "Overtaget"}).status_code == 403
    contract.refresh_from_db()
    assert contract.title == "Samarbejdsaftale Viborg"


# --- Creating and editing in the browser ---------------------------------------------------


def test_contract_create_page_for_the_four_users(world):
    """The page names no municipality: a user without a manager role anywhere gets 403, the
    outsider (a consultant in Aarhus) included."""
    url = reverse("contract-create")
    assert world.client_for(world.manager).get(url).status_code == 200
    for user in (world.consultant, world.viewer, world.outsider):
        assert world.client_for(user).get(url).status_code == 403
    assert Client().get(url)["Location"].startswith("/login/")


def test_a_manager_creates_a_contract_with_parties_and_municipalities(world):
    response = world.client_for(world.manager).post(
        reverse("contract-create"), contract_form(world)
    )

    assert response.status_code == 302, response.content
    contract = Contract.objects.get(title="Samarbejdsaftale 2027")
    assert response["Location"] == reverse("contract-detail", args=[contract.pk])
    assert (contract.kind, contract.budget, contract.starts_on) == (
        "cooperation",
        Decimal(250000),
        datetime.date(2027, 1, 1),
    )
    assert list(contract.parties.all()) == [world.local]
    assert list(contract.municipalities.all()) == [world.home]
    services.check_can_manage(world.manager, contract)


@pytest.mark.parametrize(
    "changes",
    [
        {"municipalities": ["OTHER"]},  # Aarhus: not the manager's municipality
        {"parties": ["OTHER_LOCAL"]},  # Aarhus's local service
        {"oversight": "OTHER_LOCAL"},
        {"parties": []},
        {"ends_on": "31.12.2026"},  # before the start
    ],
)
def test_a_contract_with_foreign_or_missing_terms_is_refused_without_a_write(world, changes):
    ids = {"OTHER": world.other.pk, "OTHER_LOCAL": world.other_local.pk}
    changes = {
        key: [ids.get(v, v) for v in value] if isinstance(value, list) else ids.get(value, value)
        for key, value in changes.items()
    }
    response = world.client_for(world.manager).post(
        reverse("contract-create"), contract_form(world, **changes)
    )

    assert response.status_code == 400
    assert not Contract.objects.filter(title="Samarbejdsaftale 2027").exists()


def test_a_manager_must_be_a_manager_of_a_party(world, neighbour_manager):
    """The neighbour may attach Viborg's local service, but then could not manage the
    contract: refused with the reason, nothing written."""
    response = world.client_for(neighbour_manager).post(
        reverse("contract-create"), contract_form(world)
    )

    assert response.status_code == 403
    assert not Contract.objects.filter(title="Samarbejdsaftale 2027").exists()


def test_the_manager_edits_the_whole_contract_through_the_service(world, contract):
    response = world.client_for(world.manager).post(
        reverse("contract-edit", args=[contract.pk]),
        contract_form(
            world,
            kind="performance",
            title="Resultatkontrakt",
            status="active",
            oversight=world.hub.pk,
            starts_on="01.01.2026",
            ends_on="31.12.2026",
        ),
    )

    assert response.status_code == 302, response.content
    contract.refresh_from_db()
    assert (contract.kind, contract.title, contract.oversight) == (
        "performance",
        "Resultatkontrakt",
        world.hub,
    )


def test_the_edit_form_keeps_what_the_contract_has_already(world, contract):
    """A municipality the manager does not manage may stay on the contract."""
    contract.municipalities.add(world.other)

    page = world.client_for(world.manager).get(reverse("contract-edit", args=[contract.pk]))

    offered = list(page.context["form"].fields["municipalities"].queryset)
    assert world.other in offered and world.home in offered
    services.do_update_contract(
        world.manager, contract, municipalities=[world.home, world.other], title="Samme"
    )
    with pytest.raises(DomainError):  # ...but a new foreign one may not be added
        services.do_update_contract(
            world.manager, contract, parties=[world.local, world.other_local]
        )
    assert list(contract.parties.all()) == [world.local]


def test_a_manager_cannot_remove_their_own_operator_from_the_parties(world, contract):
    with pytest.raises(NotAllowed):
        services.do_update_contract(world.manager, contract, parties=[world.hub])
    assert list(contract.parties.all()) == [world.local]


# --- Goals ---------------------------------------------------------------------------------


def test_a_new_goal_with_an_indicator_and_parameters(world, contract):
    response = world.client_for(world.manager).post(
        reverse("goal-create", args=[contract.pk]),
        {
            "number": "4",
            "title": "Vejledte iværksættere",
            "indicator": "founders_guided",
            "param_tier": "local",
            "target_kind": "count",
            "target": "200",
        },
    )

    assert response.status_code == 302
    goal = contract.goals.get(number="4")
    assert (goal.indicator, goal.params, goal.target) == (
        "founders_guided",
        {"tier": "local"},
        Decimal(200),
    )


def test_a_milestone_needs_no_indicator_or_parameters(world, contract):
    response = world.client_for(world.manager).post(
        reverse("goal-create", args=[contract.pk]),
        {
            "number": "10",
            "title": "Samarbejde med de nationale klynger",
            "indicator": "",
            "target_kind": "count",
            "is_milestone": "on",
        },
    )

    assert response.status_code == 302
    goal = contract.goals.get(number="10")
    assert (goal.is_milestone, goal.indicator, goal.params) == (True, "", {})


def test_a_parameter_value_the_indicator_does_not_offer_is_refused_naming_the_field(
    world, contract
):
    goal = contract.goals.get(number="1")
    response = world.client_for(world.manager).post(
        reverse("goal-edit", args=[contract.pk, goal.pk]),
        {
            "number": "1",
            "title": "Vejledte virksomheder",
            "indicator": "companies_guided",
            "param_tier": "nowhere",
            "target_kind": "count",
            "target": "5",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["param_tier"]
    goal.refresh_from_db()
    assert (goal.indicator, goal.target) == ("companies_contacted", 200)


def test_the_goal_services_refuse_what_the_catalogue_does_not_know(world, contract):
    with pytest.raises(DomainError, match="Ukendt indikator"):
        services.do_add_goal(world.manager, contract, number="5", title="x", indicator="luck")
    with pytest.raises(NotAllowed):
        services.do_add_goal(world.viewer, contract, number="5", title="x", indicator="sessions")
    assert not contract.goals.filter(number="5").exists()


# --- Payment rules and budget lines --------------------------------------------------------


@pytest.mark.parametrize("name", ["payment-rule-create", "budget-line-create"])
def test_rule_and_line_pages_for_the_four_users(world, contract, name):
    assert_four_users(
        world, reverse(name, args=[contract.pk]), allowed=world.manager, no_right=world.consultant
    )


def test_payment_rule_and_budget_line_edit_pages_for_the_four_users(world, contract):
    rule = PaymentRule.objects.create(contract=contract, kind="founder", amount=500)
    line = BudgetLine.objects.create(contract=contract, name="Vejledning", amount=1000)
    for url in (
        reverse("payment-rule-edit", args=[contract.pk, rule.pk]),
        reverse("budget-line-edit", args=[contract.pk, line.pk]),
    ):
        assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)


def test_the_manager_adds_and_changes_a_payment_rule(world, contract):
    client = world.client_for(world.manager)

    created = client.post(
        reverse("payment-rule-create", args=[contract.pk]), {"kind": "founder", "amount": "500"}
    )
    twice = client.post(
        reverse("payment-rule-create", args=[contract.pk]), {"kind": "founder", "amount": "400"}
    )
    rule = contract.payment_rules.get()
    changed = client.post(
        reverse("payment-rule-edit", args=[contract.pk, rule.pk]),
        {"kind": "founder", "amount": "450"},
    )

    assert (created.status_code, twice.status_code, changed.status_code) == (302, 400, 302)
    rule.refresh_from_db()
    assert rule.amount == Decimal(450)


def test_the_manager_adds_budget_lines_for_the_contracts_municipalities_only(world, contract):
    client = world.client_for(world.manager)
    url = reverse("budget-line-create", args=[contract.pk])

    ok = client.post(
        url,
        {"side": "expense", "name": "Netværk", "municipality": world.home.pk, "amount": "30000"},
    )
    foreign = client.post(
        url,
        {"side": "expense", "name": "Aarhus", "municipality": world.other.pk, "amount": "1"},
    )
    with pytest.raises(DomainError):
        services.do_add_budget_line(
            world.manager, contract, name="Aarhus", municipality=world.other, amount=1
        )

    assert (ok.status_code, foreign.status_code) == (302, 400)
    assert list(contract.budget_lines.values_list("name", "amount")) == [
        ("Netværk", Decimal(30000))
    ]
    line = contract.budget_lines.get()
    edited = client.post(
        reverse("budget-line-edit", args=[contract.pk, line.pk]),
        {"side": "expense", "name": "Netværk", "municipality": world.home.pk, "amount": "35000"},
    )
    assert edited.status_code == 302
    line.refresh_from_db()
    assert line.amount == Decimal(35000)


def test_a_rule_or_line_of_another_contract_is_404(world, contract):
    other = Contract.objects.create(kind="programme", title="Anden", starts_on=TODAY, ends_on=TODAY)
    other.municipalities.set([world.home])
    other.parties.set([world.local])
    rule = PaymentRule.objects.create(contract=other, kind="founder", amount=500)
    client = world.client_for(world.manager)

    url = reverse("payment-rule-edit", args=[contract.pk, rule.pk])
    assert client.get(url).status_code == 404


# --- The API -------------------------------------------------------------------------------


def api_contract(world, **changes) -> dict:
    data = {
        "kind": "cooperation",
        "title": "Samarbejdsaftale 2027",
        "parties": [world.local.pk],
        "municipalities": [world.home.code],
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
    }
    return {**data, **changes}


def test_api_contract_create_for_the_four_users(world):
    url = reverse("api-contract-list")
    data = api_contract(world)

    for user in (world.consultant, world.viewer, world.outsider):
        assert send(world.client_for(user), "post", url, data).status_code == 403
    assert send(Client(), "post", url, data).status_code == 401
    assert not Contract.objects.filter(title="Samarbejdsaftale 2027").exists()

    response = send(world.client_for(world.manager), "post", url, data)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["municipalities"], body["parties"][0]["id"]) == (
        "cooperation",
        [world.home.code],
        world.local.pk,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"municipalities": ["751"]},  # Aarhus
        {"parties": ["OTHER_LOCAL"]},
        {"oversight": "OTHER_LOCAL"},
        {"parties": [0]},
        {"municipalities": []},
    ],
)
def test_api_refuses_foreign_municipalities_and_operators_without_a_write(world, changes):
    changes = {
        key: (
            [world.other_local.pk if v == "OTHER_LOCAL" else v for v in value]
            if isinstance(value, list)
            else world.other_local.pk
        )
        for key, value in changes.items()
    }
    response = send(
        world.client_for(world.manager),
        "post",
        reverse("api-contract-list"),
        api_contract(world, **changes),
    )

    assert response.status_code == 400, response.json()
    assert not Contract.objects.filter(title="Samarbejdsaftale 2027").exists()


def test_api_patch_changes_parties_and_oversight_through_the_service(world, contract):
    url = reverse("api-contract-detail", args=[contract.pk])
    client = world.client_for(world.manager)

    ok = send(client, "patch", url, {"oversight": world.hub.pk, "kind": "performance"})
    foreign = send(client, "patch", url, {"municipalities": [world.home.code, "751"]})
    lockout = send(client, "patch", url, {"parties": [world.hub.pk]})

    assert (ok.status_code, foreign.status_code, lockout.status_code) == (200, 400, 403)
    assert ok.json()["oversight"] == world.hub.name
    contract.refresh_from_db()
    assert (contract.kind, contract.oversight) == ("performance", world.hub)
    assert list(contract.municipalities.all()) == [world.home]
    assert list(contract.parties.all()) == [world.local]


def test_api_goal_create_goes_through_the_service_checks(world, contract):
    response = send(
        world.client_for(world.manager),
        "post",
        reverse("api-goal-list"),
        {
            "contract": contract.pk,
            "number": "7",
            "title": "Timer",
            "indicator": "hours_cost",
            "params": {"tier": "local"},
            "target": "100000",
        },
    )

    assert response.status_code == 201, response.json()
    assert Goal.objects.get(pk=response.json()["id"]).indicator == "hours_cost"
