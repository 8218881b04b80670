"""The published definitions: per contract (each goal's clause, what counts and what does
not, whose records, the unit, the numerator and denominator behind its value), the whole
catalogue, and the same per contract in the API."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.indicators import CATALOGUE
from contracts.models import Evaluation, Goal, GoalTarget
from contracts.services import compute_attainment
from crm import services
from crm.models import Membership, Operator
from tests.conftest import make_member
from tests.counting import count_queries

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def official(world, contract):
    """A viewer of the contract's oversight body (the municipality's own administration)."""
    oversight = Operator.objects.create(name="Viborg Kommune", kind=Operator.Kind.OVERSIGHT)
    services.do_set_operator_municipalities(oversight, [world.home])
    contract.oversight = oversight
    contract.save()
    return make_member(oversight, Membership.Role.VIEWER)


@pytest.fixture
def computed(world, contract, company):
    """Goal 1 counts one contacted company; goal 2 three answers of which two count and one
    "Ved ikke" that is left out; then computed as of today."""
    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    for answer in ["very", "dissatisfied", "unknown"]:
        Evaluation.objects.create(
            operator=world.local, municipality=world.home, answered_on=TODAY, satisfaction=answer
        )
    Goal.objects.filter(contract=contract, number="2").update(strict=True)
    compute_attainment(contract, TODAY)
    return contract


def test_the_definitions_page_quotes_the_clause_and_says_what_counts_and_whose(
    world, computed, official
):
    Goal.objects.filter(contract=computed, number="1").update(text="Kontakt til 200 virksomheder")

    response = world.client_for(official).get(reverse("contract-definitions", args=[computed.pk]))

    assert response.status_code == 200
    text = response.text
    assert "Kontakt til 200 virksomheder" in text  # the clause
    assert str(CATALOGUE["companies_contacted"].counts) in text
    assert "Forskellige virksomheder (CVR)" in text
    assert "Viborgegnens Erhvervsråd" in text and "Alle kontraktens parter" in text
    assert "Registreringer fra operatører, som målet ikke måler" in text
    assert "uden for perioden" in text
    # The share: "Ved ikke" left out, the numerator and denominator behind the value.
    assert "&#x27;Ved ikke&#x27; og ubesvarede udgår af beregningen." in text
    assert "50 %" in text and "1 svar der tæller" in text and "2 svar på spørgsmålet" in text
    assert "mere end 80 %" in text
    assert "Svar der tæller: Meget tilfreds, Tilfreds" in text
    # The milestone says how it is judged; no code or JSON anywhere.
    assert "Milepæl: vurderes af en leder" in text
    assert "companies_contacted" not in text and '{"answers"' not in text


def test_brief_contacts_and_external_goals_are_explained(world, contract, official):
    Goal.objects.create(
        contract=contract,
        number="3",
        title="Vejledte virksomheder",
        indicator="companies_guided",
        params={"tier": "local"},
        target=20,
        measures=Operator.Kind.LOCAL,
    )
    Goal.objects.create(
        contract=contract,
        number="4",
        title="Arbejdspladser",
        target=275,
        external_value=120,
        external_source="Virksomhedernes regnskaber",
    )

    text = world.client_for(official).get(reverse("contract-definitions", args=[contract.pk]))
    text = text.text

    assert "Kun vejledninger tæller, ikke korte kontakter." in text
    assert "Kontraktens lokale erhvervsservice: Viborgegnens Erhvervsråd" in text
    assert "Vejledningsniveau: Lokal" in text
    assert "Måles uden for CRM&#x27;et og indberettes: Virksomhedernes regnskaber." in text
    assert "mindst 275" in text and "120" in text
    assert "Ikke beregnet endnu." in text


def test_per_municipality_targets_are_published(world, contract, official):
    goal = contract.goals.get(number="1")
    GoalTarget.objects.create(goal=goal, municipality=world.home, target=12)

    text = world.client_for(official).get(reverse("contract-definitions", args=[contract.pk]))

    assert "pr. kommune: Viborg 12" in text.text


def test_the_definitions_page_for_officials_managers_consultants_and_outsiders(
    world, contract, official
):
    url = reverse("contract-definitions", args=[contract.pk])
    # As the contract page: every member of a covered municipality reads it (no role in
    # the municipality lacks the right, so there is no 403), others get 404.
    for user in (official, world.manager, world.consultant, world.viewer):
        assert world.client_for(user).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url)["Location"].startswith("/login/")


def test_the_contract_page_and_dashboard_link_to_the_definitions(world, contract, official):
    url = reverse("contract-definitions", args=[contract.pk])
    client = world.client_for(official)

    assert url in client.get(reverse("contract-detail", args=[contract.pk])).text
    assert url in client.get(reverse("contract-dashboard", args=[contract.pk])).text


def test_the_definitions_page_does_not_query_per_goal(world, computed, official):
    client, url = world.client_for(official), reverse("contract-definitions", args=[computed.pk])
    first = computed.goals.get(number="1")
    GoalTarget.objects.create(goal=first, municipality=world.home, target=3)
    count_queries(client, url)
    few, _response = count_queries(client, url)
    for number in range(3, 9):
        goal = Goal.objects.create(
            contract=computed,
            number=str(number),
            title=f"Mål {number}",
            indicator="sessions",
            params={"tier": "local"},
            target=10,
        )
        GoalTarget.objects.create(goal=goal, municipality=world.home, target=2)
    compute_attainment(computed, TODAY)

    many, response = count_queries(client, url)

    assert len(response.context["definitions"]) == 9
    assert many == few


def test_the_catalogue_lists_every_indicator_by_label_and_unit(world):
    url = reverse("indicator-catalogue")

    response = world.client_for(world.viewer).get(url)

    assert response.status_code == 200
    for definition in CATALOGUE.values():
        assert f'id="indicator-{definition.name}"' in response.text
        assert str(definition.label).replace("'", "&#x27;") in response.text
    assert "Vejledningsniveau (Lokal, Fokuseret, Specialiseret)" in response.text
    assert Client().get(url)["Location"].startswith("/login/")


def test_the_definitions_endpoint(world, computed, official):
    url = reverse("api-contract-definitions", args=[computed.pk])

    response = world.client_for(official).get(url)

    assert response.status_code == 200
    by_number = {row["number"]: row for row in response.json()}
    share = by_number["2"]
    assert share["label"] == "Andel tilfredse brugere" and share["unit"] == "%"
    assert share["measured"] == ["Viborgegnens Erhvervsråd"] and share["strict"] is True
    assert share["current"]["numerator"] == "1.00" and share["current"]["denominator"] == "2.00"
    assert {"label": "Svar der tæller", "value": "Meget tilfreds, Tilfreds"} in share["parameters"]
    assert by_number["9"]["label"] is None and by_number["9"]["how"].startswith("Milepæl")
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 401


def test_the_definitions_endpoint_is_in_the_schema(world):
    schema = world.client_for(world.viewer).get(reverse("schema")).text

    assert "/api/v1/contracts/{id}/definitions/" in schema
    assert "GoalDefinition" in schema
