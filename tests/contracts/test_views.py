import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.models import BudgetLine, BudgetTransfer, Contract, Evaluation, Snapshot
from crm import services
from tests.conftest import assert_four_users

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


def test_contract_list_for_members_only(world, contract):
    for user in (world.viewer, world.consultant, world.outsider):
        assert world.client_for(user).get(reverse("contract-list")).status_code == 200
    assert (
        list(world.client_for(world.outsider).get(reverse("contract-list")).context["contracts"])
        == []
    )
    assert Client().get(reverse("contract-list"))["Location"].startswith("/login/")


def test_contract_page_for_the_four_users(world, contract):
    url = reverse("contract-detail", args=[contract.pk])
    # Officials read it (the viewer role); nobody in the municipality lacks the right to read,
    # so the 403 walk is on the managers' pages below.
    assert world.client_for(world.viewer).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url)["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "name",
    [
        "contract-edit",
        "goal-create",
        "evaluation-import",
        "evaluation-export",
        "contract-settlement",
        "contract-budget",
    ],
)
def test_manager_pages_for_the_four_users(world, contract, name):
    assert_four_users(
        world, reverse(name, args=[contract.pk]), allowed=world.manager, no_right=world.consultant
    )


def test_goal_pages_for_the_four_users(world, contract):
    goal = contract.goals.get(number="1")
    milestone = contract.goals.get(number="9")
    assert_four_users(
        world,
        reverse("goal-edit", args=[contract.pk, goal.pk]),
        allowed=world.manager,
        no_right=world.consultant,
    )
    assert_four_users(
        world,
        reverse("milestone-judge", args=[contract.pk, milestone.pk]),
        allowed=world.manager,
        no_right=world.consultant,
    )


def test_compute_and_run_for_the_four_users(world, contract):
    assert_four_users(
        world,
        reverse("contract-compute", args=[contract.pk]),
        method="post",
        allowed=world.manager,
        no_right=world.consultant,
    )
    # Following a run is for every member (the viewer too): nobody in Viborg gets 403.
    run = reverse("contract-run", args=[contract.pk])
    assert world.client_for(world.viewer).get(run).status_code == 200
    assert world.client_for(world.outsider).get(run).status_code == 404
    assert Client().get(run)["Location"].startswith("/login/")


def test_officials_see_aggregates_only(world, contract, company, founder):
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content="Fortrolige noter",
    )
    client = world.client_for(world.manager)
    client.post(reverse("contract-compute", args=[contract.pk]))

    page = world.client_for(world.viewer).get(reverse("contract-detail", args=[contract.pk]))

    goal = page.context["goals"][0]
    assert goal[1]["total"].value == 1
    for secret in (company.name, company.cvr, founder.name, "Fortrolige", "010190"):
        assert secret not in page.text


def test_manager_edits_a_goal(world, contract):
    goal = contract.goals.get(number="1")
    response = world.client_for(world.manager).post(
        reverse("goal-edit", args=[contract.pk, goal.pk]),
        {
            "number": "1",
            "title": "Vejledte virksomheder",
            "indicator": "companies_guided",
            "params": "{}",
            "target_kind": "count",
            "target": "150",
        },
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.indicator, goal.target) == ("companies_guided", Decimal(150))


def test_milestone_is_judged_with_evidence(world, contract):
    milestone = contract.goals.get(number="9")
    world.client_for(world.manager).post(
        reverse("milestone-judge", args=[contract.pk, milestone.pk]),
        {"status": "met", "evidence": "Aftaler med alle 14 klynger underskrevet"},
    )

    milestone.refresh_from_db()
    assert milestone.milestone_status == "met" and milestone.judged_by == world.manager


def csv_file(text: str):
    return SimpleUploadedFile("evaluering.csv", text.encode(), content_type="text/csv")


def test_evaluation_import_then_attainment(world, contract, django_capture_on_commit_callbacks):
    text = (
        "operator;municipality_code;answered_on;segment;themes;satisfaction;nps;effect;cvr\n"
        f"Viborgegnens Erhvervsråd;791;01.03.{TODAY.year};growth;green;Meget tilfreds;10;"
        "I høj grad;\n"
        f"Viborgegnens Erhvervsråd;791;02.03.{TODAY.year};operations;;Utilfreds;3;;\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client_for(world.manager).post(
            reverse("evaluation-import", args=[contract.pk]), {"file": csv_file(text)}
        )

    assert response.status_code == 302
    assert Evaluation.objects.count() == 2
    total = Snapshot.objects.get(goal__number="2", municipality=None)
    assert total.value == Decimal("50.0")


def test_a_broken_evaluation_file_is_refused_whole_with_the_line(world, contract):
    text = (
        "operator;municipality_code;answered_on;satisfaction\n"
        f"Viborgegnens Erhvervsråd;791;01.03.{TODAY.year};Meget tilfreds\n"
        f"Viborgegnens Erhvervsråd;791;31.02.{TODAY.year};Tilfreds\n"
    )
    response = world.client_for(world.manager).post(
        reverse("evaluation-import", args=[contract.pk]), {"file": csv_file(text)}
    )

    assert response.status_code == 400
    assert "Linje 3" in response.text and "dd.mm.åååå" in response.text
    assert not Evaluation.objects.exists()


def test_an_evaluation_for_a_foreign_municipality_is_refused(world, contract):
    text = (
        f"operator;municipality_code;answered_on\nViborgegnens Erhvervsråd;751;01.03.{TODAY.year}\n"
    )
    response = world.client_for(world.manager).post(
        reverse("evaluation-import", args=[contract.pk]), {"file": csv_file(text)}
    )

    assert "ukendt kommunekode" in response.text
    assert not Evaluation.objects.exists()


def test_honorarium_settlement_lists_its_evidence(world, contract, payable):
    """More cases with their totals: tests/contracts/test_honoraria.py."""
    response = world.client_for(world.manager).get(
        reverse("contract-settlement", args=[contract.pk]),
        {"start": D(TODAY.year, 1, 1).isoformat(), "end": D(TODAY.year, 12, 31).isoformat()},
    )

    assert response.context["total"] == Decimal(3000)
    assert "010190-xxxx" in response.text


def test_budget_transfer_with_a_reason(world, contract):
    a = BudgetLine.objects.create(contract=contract, name="Vejledning", amount=1000)
    b = BudgetLine.objects.create(contract=contract, name="Netværk", amount=500)
    client = world.client_for(world.manager)

    refused = client.post(
        reverse("contract-budget", args=[contract.pk]),
        {"from_line": a.pk, "to_line": a.pk, "amount": "100", "reason": "x"},
    )
    client.post(
        reverse("contract-budget", args=[contract.pk]),
        {"from_line": a.pk, "to_line": b.pk, "amount": "200", "reason": "Flere netværk"},
    )

    assert "forskellige linjer" in refused.text
    lines = dict(client.get(reverse("contract-budget", args=[contract.pk])).context["budget"].lines)
    assert (lines[a], lines[b]) == (Decimal(800), Decimal(700))


def test_seed_000_budget_is_the_whole_7_million_and_balances_with_its_financing(world):
    """Seed 000, Økonomi: "Udgifter i alt 7.000.000" (operator 780.000 + local 6.220.000) and
    "Indtægter i alt 7.000.000" (Region Midtjylland 3.500.000, Kommunerne 3.500.000)."""
    from contracts.demo.agreements import RURAL_PROGRAMME, programme_2010
    from crm.models import Municipality

    contract = programme_2010(Municipality.objects.filter(name__in=RURAL_PROGRAMME))
    response = world.client_for(world.manager).get(reverse("contract-budget", args=[contract.pk]))

    budget = response.context["budget"]
    assert (budget.expenses, budget.financing) == (Decimal(7_000_000), Decimal(7_000_000))
    assert budget.balanced and "Budgettet balancerer." in response.text
    assert len(budget.lines) == 10


def test_money_moves_only_between_lines_of_the_same_side(world, contract):
    expense = BudgetLine.objects.create(contract=contract, name="Vejledning", amount=1000)
    payer = BudgetLine.objects.create(
        contract=contract, name="Regionen", amount=1000, side="financing"
    )

    response = world.client_for(world.manager).post(
        reverse("contract-budget", args=[contract.pk]),
        {"from_line": expense.pk, "to_line": payer.pk, "amount": "100", "reason": "x"},
    )

    assert "samme side" in response.text
    assert not BudgetTransfer.objects.exists()


def test_the_demo_contracts_load_and_compute(world):
    from django.core.management import call_command

    call_command("seed_contracts")
    call_command("seed_contracts")

    # The four seed contracts (seed 004's EU programme among them) and the two current ones
    # over the demo's year.
    assert Contract.objects.count() == 6
    syd = Contract.objects.get(title__startswith="Resultatkontrakt 2022")
    assert syd.municipalities.count() == 13
    assert syd.municipalities.filter(name="Middelfart").exists()
    assert (
        Snapshot.objects.filter(goal__contract=syd, municipality=None, as_of=syd.ends_on).count()
        == syd.goals.exclude(indicator="").exclude(is_milestone=True).count()
    )
    running = Contract.objects.filter(ends_on__gt=timezone.localdate())
    assert running.count() == 2
    for contract in running:  # monthly history, so the forecast has something to extend
        assert contract.goals.filter(snapshots__forecast__isnull=False).exists()
