"""The goal form names indicators, units and parameters, never codes or JSON; choosing another
indicator brings its parameter fields (htmx, or "Vis parametre" without JavaScript); errors
name their field. Per-municipality targets through ``do_set_goal_targets``."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts import services
from contracts.models import GoalTarget
from crm.services import DomainError, NotAllowed
from tests.conftest import assert_four_users

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def goal_fields(**fields) -> dict:
    return {
        "number": "1",
        "title": "Kontaktede virksomheder",
        "indicator": "companies_contacted",
        "target_kind": "count",
        "target": "200",
        **fields,
    }


def test_the_form_shows_labels_units_and_parameters_as_fields(world, contract):
    goal = contract.goals.get(number="2")  # satisfaction_share, answers very and satisfied

    url = reverse("goal-edit", args=[contract.pk, goal.pk])
    response = world.client_for(world.manager).get(url)

    text = response.text
    assert response.status_code == 200
    assert '"satisfaction_share" selected>Andel tilfredse brugere (%)</option>' in text
    assert "Vejledte virksomheder (virksomheder)</option>" in text
    assert 'name="params"' not in text  # no JSON box
    assert "Svar der tæller" in text
    assert 'name="param_answers" value="very"' in text and "Meget tilfreds" in text
    checked = [w for w in text.split("<input") if 'name="param_answers"' in w and "checked" in w]
    assert len(checked) == 2
    assert "Kun iværksættere og virksomheder med vækstambitioner" in text
    assert '<option value="growth">Vækstsegment</option>' in text
    assert 'name="measures"' in text and "Kontraktens erhvervshus" in text
    assert 'name="strict"' in text and "Mere end målet (ikke lig med)" in text
    assert 'hx-get="' in text and 'hx-target="#goal-params"' in text


def test_choosing_another_indicator_brings_its_parameters_by_htmx(world, contract):
    goal = contract.goals.get(number="2")
    url = reverse("goal-edit", args=[contract.pk, goal.pk])

    response = world.client_for(world.manager).get(
        url, {"indicator": "companies_contacted"}, headers={"HX-Request": "true"}
    )

    text = response.text
    assert response.status_code == 200
    assert "<html" not in text and 'id="goal-params"' in text
    assert "Kun mikrovirksomheder (1-10 ansatte)" in text and 'name="param_micro"' in text
    assert 'name="param_tier"' in text and "Specialiseret" in text
    assert "param_answers" not in text


def test_show_parameters_without_javascript_saves_nothing(world, contract):
    goal = contract.goals.get(number="1")
    url = reverse("goal-edit", args=[contract.pk, goal.pk])

    response = world.client_for(world.manager).post(
        url, goal_fields(indicator="networks", title="", show_params="1")
    )

    assert response.status_code == 200
    assert 'name="param_min_members"' in response.text
    assert 'type="number"' in response.text
    assert "Mindst så mange medlemsvirksomheder" in response.text
    assert 'role="alert"' not in response.text  # the empty title is not an error yet
    goal.refresh_from_db()
    assert (goal.indicator, goal.title) == ("companies_contacted", "Vejledte virksomheder")


def test_the_parameters_measured_party_and_more_than_are_saved(world, contract):
    goal = contract.goals.get(number="1")

    response = world.client_for(world.manager).post(
        reverse("goal-edit", args=[contract.pk, goal.pk]),
        goal_fields(
            param_micro="on", param_rural="on", param_tier="local", measures="local", strict="on"
        ),
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.params == {"micro": True, "rural": True, "tier": "local"}
    assert (goal.measures, goal.strict) == ("local", True)


def test_several_choices_are_saved_as_a_list_and_unchecked_ones_left_out(world, contract):
    goal = contract.goals.get(number="2")

    world.client_for(world.manager).post(
        reverse("goal-edit", args=[contract.pk, goal.pk]),
        goal_fields(
            number="2",
            indicator="satisfaction_share",
            target_kind="share",
            target="80",
            param_answers=["very"],
            param_segment="",
        ),
    )

    goal.refresh_from_db()
    assert goal.params == {"answers": ["very"]}


def test_errors_are_in_danish_and_name_the_field(world, contract):
    client = world.client_for(world.manager)
    url = reverse("goal-create", args=[contract.pk])

    missing = client.post(url, goal_fields(title="", param_tier="everywhere"))
    required = client.post(url, goal_fields(indicator="founders_share", target_kind="share"))

    assert missing.status_code == 400
    assert "Udfyld “Titel”." in missing.text
    assert "Vælg en af mulighederne i “Vejledningsniveau”." in missing.text
    assert required.status_code == 400
    assert "Udfyld “Gruppe”." in required.text
    assert not contract.goals.filter(number="1", indicator="founders_share").exists()


# --- Per-municipality targets ----------------------------------------------------------------


def test_a_manager_sets_and_removes_targets_per_municipality(world, contract):
    goal = contract.goals.get(number="1")
    url = reverse("goal-targets", args=[contract.pk, goal.pk])
    client = world.client_for(world.manager)
    field = f"municipality_{world.home.pk}"

    assert client.get(url).status_code == 200
    assert client.post(url, {field: "12"}).status_code == 302
    assert goal.local_targets.get().target == Decimal(12)
    assert 'value="12' in client.get(url).text

    assert client.post(url, {field: ""}).status_code == 302
    assert not goal.local_targets.exists()


def test_a_wrong_target_is_refused_with_the_field_named(world, contract):
    goal = contract.goals.get(number="1")
    url = reverse("goal-targets", args=[contract.pk, goal.pk])

    response = world.client_for(world.manager).post(url, {f"municipality_{world.home.pk}": "x"})

    assert response.status_code == 400
    assert "“Viborg” er ikke udfyldt rigtigt." in response.text


def test_the_targets_page_for_the_four_users(world, contract):
    goal = contract.goals.get(number="1")
    assert_four_users(
        world,
        reverse("goal-targets", args=[contract.pk, goal.pk]),
        allowed=world.manager,
        no_right=world.consultant,
    )


def test_do_set_goal_targets_keeps_to_the_contract_and_the_managers(world, contract):
    goal, share = contract.goals.get(number="1"), contract.goals.get(number="2")

    with pytest.raises(DomainError, match="Kun kontraktens kommuner"):
        services.do_set_goal_targets(world.manager, goal, {world.other: Decimal(3)})
    with pytest.raises(DomainError, match="uden for det mulige"):
        services.do_set_goal_targets(world.manager, share, {world.home: Decimal(120)})
    with pytest.raises(NotAllowed):
        services.do_set_goal_targets(world.consultant, goal, {world.home: Decimal(3)})
    assert not GoalTarget.objects.exists()


def test_the_targets_endpoint(world, contract):
    goal = contract.goals.get(number="1")
    url = reverse("api-goal-targets", args=[goal.pk])
    body = {"targets": [{"municipality": world.home.code, "target": "7"}]}

    def put(user, data=body):
        return world.client_for(user).post(url, data, content_type="application/json")

    assert put(world.manager).json() == {
        "targets": [{"municipality": "791", "name": "Viborg", "target": "7.00"}]
    }
    assert world.client_for(world.viewer).get(url).json()["targets"][0]["target"] == "7.00"
    assert put(world.consultant).status_code == 403
    assert put(world.outsider).status_code == 404
    assert Client().get(url).status_code == 401
    outside = {"targets": [{"municipality": world.other.code, "target": "7"}]}
    assert put(world.manager, outside).status_code == 400
    unknown = {"targets": [{"municipality": "0", "target": "7"}]}
    assert put(world.manager, unknown).status_code == 400
    assert goal.local_targets.get().target == Decimal(7)


def test_the_targets_endpoint_for_the_four_users(world, contract):
    goal = contract.goals.get(number="1")
    assert_four_users(
        world,
        reverse("api-goal-targets", args=[goal.pk]),
        allowed=world.manager,
        no_right=world.consultant,
        method="post",
        data={"targets": [{"municipality": world.home.code, "target": "5"}]},
        api=True,
    )
    assert goal.local_targets.get().target == Decimal(5)
