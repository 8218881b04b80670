"""The contracts API (/api/v1/): officials read contracts, goals, snapshots and evaluations;
managers of the parties change them, compute, import and settle. Every endpoint walked as the
four kinds of user."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.indicators import CATALOGUE
from contracts.models import AttainmentRun, Contract, Evaluation, Goal, Snapshot
from crm import services
from tests.conftest import CPR, assert_four_users

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


@pytest.fixture
def foreign_contract(world):
    """A contract of Aarhus only: the Viborg users do not see it."""
    contract = Contract.objects.create(
        kind="programme",
        title="Programkontrakt Aarhus",
        starts_on=D(TODAY.year, 1, 1),
        ends_on=D(TODAY.year, 12, 31),
    )
    contract.municipalities.set([world.other])
    contract.parties.set([world.other_local])
    Goal.objects.create(contract=contract, number="1", title="Aarhus", indicator="sessions")
    return contract


def goal(contract, number: str) -> Goal:
    return contract.goals.get(number=number)


def send(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data, content_type="application/json")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def assert_member_reads(world, url: str):
    """Reading needs membership only: the viewer (an official) 200, the outsider 404,
    anonymous 401. Nobody in the municipality lacks the right to read."""
    assert world.client_for(world.viewer).get(url).status_code == 200, url
    assert world.client_for(world.outsider).get(url).status_code == 404, url
    assert Client().get(url).status_code == 401, url


def assert_member_lists(world, url: str, expected_id: int):
    assert expected_id in [row["id"] for row in results(world.client_for(world.viewer).get(url))]
    assert expected_id not in [
        row["id"] for row in results(world.client_for(world.outsider).get(url))
    ]
    assert Client().get(url).status_code == 401


def log_session(world, company):
    return services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content="Fortrolige noter",
    )


# --- Contracts ------------------------------------------------------------------------------


def test_contract_list_and_detail_for_members_only(world, contract, foreign_contract):
    assert_member_lists(world, reverse("api-contract-list"), contract.pk)
    assert_member_reads(world, reverse("api-contract-detail", args=[contract.pk]))
    listed = results(world.client_for(world.viewer).get(reverse("api-contract-list")))
    assert [row["id"] for row in listed] == [contract.pk]


def test_a_contract_reads_with_parties_municipalities_and_period(world, contract):
    body = (
        world.client_for(world.viewer)
        .get(reverse("api-contract-detail", args=[contract.pk]))
        .json()
    )

    assert body["parties"] == [
        {"id": world.local.pk, "name": "Viborgegnens Erhvervsråd", "kind": world.local.kind}
    ]
    assert body["municipalities"] == ["791"]
    assert (body["starts_on"], body["ends_on"]) == (f"{TODAY.year}-01-01", f"{TODAY.year}-12-31")
    assert (body["status"], body["kind"]) == ("active", "cooperation")


def test_an_unknown_contract_is_404_like_a_foreign_one(world, foreign_contract):
    client = world.client_for(world.manager)

    assert client.get(reverse("api-contract-detail", args=[0])).status_code == 404
    assert client.get(reverse("api-contract-detail", args=[foreign_contract.pk])).status_code == 404


def test_contract_update_for_the_four_users(world, contract):
    url = reverse("api-contract-detail", args=[contract.pk])
    data = {"title": "Ny titel", "budget": "125000.00", "status": "closed"}

    assert_four_users(
        world,
        url,
        allowed=world.manager,
        no_right=world.consultant,
        method="patch",
        data=data,
        api=True,
    )
    assert send(world.client_for(world.viewer), "patch", url, data).status_code == 403
    contract.refresh_from_db()
    assert (contract.title, contract.budget, contract.status) == (
        "Ny titel",
        Decimal(125000),
        "closed",
    )


def test_a_contract_cannot_end_before_it_starts(world, contract):
    url = reverse("api-contract-detail", args=[contract.pk])

    response = send(
        world.client_for(world.manager), "patch", url, {"ends_on": f"{TODAY.year - 1}-06-30"}
    )

    assert response.status_code == 400
    assert "ends_on" in response.json()


def test_contracts_are_not_deleted_and_an_incomplete_one_is_not_created(world, contract):
    """Creating: tests/contracts/test_editing.py."""
    client = world.client_for(world.manager)

    response = send(client, "post", reverse("api-contract-list"), {"title": "x"})

    assert response.status_code == 400
    assert {"kind", "parties", "municipalities", "starts_on"} <= set(response.json())
    assert client.delete(reverse("api-contract-detail", args=[contract.pk])).status_code == 405


def test_compute_for_the_four_users(world, contract):
    url = reverse("api-contract-compute", args=[contract.pk])

    assert_four_users(
        world,
        url,
        allowed=world.manager,
        no_right=world.consultant,
        method="post",
        ok=202,
        api=True,
    )
    assert world.client_for(world.viewer).post(url).status_code == 403


def test_compute_enqueues_the_task_that_stores_snapshots(world, contract, company):
    log_session(world, company)

    response = world.client_for(world.manager).post(
        reverse("api-contract-compute", args=[contract.pk])
    )

    assert response.status_code == 202
    body = response.json()
    assert body["as_of"] == TODAY.isoformat()
    # Tasks run in the test process (tests/conftest.py), so the run is already done.
    run = AttainmentRun.objects.get(contract=contract)
    assert body["run"] == {
        "id": run.pk,
        "as_of": TODAY.isoformat(),
        "state": "done",
        "started_at": body["run"]["started_at"],
        "finished_at": body["run"]["finished_at"],
    }
    total = Snapshot.objects.get(goal__number="1", municipality=None, as_of=TODAY)
    assert total.value == 1


def test_the_latest_run_for_members(world, contract):
    url = reverse("api-contract-run", args=[contract.pk])
    client = world.client_for(world.viewer)
    assert client.get(url).status_code == 404  # not computed yet

    world.client_for(world.manager).post(reverse("api-contract-compute", args=[contract.pk]))

    assert_member_reads(world, url)
    assert client.get(url).json()["state"] == "done"


# --- Goals ---------------------------------------------------------------------------------


def test_goal_list_and_detail_for_members_only(world, contract, foreign_contract):
    first = goal(contract, "1")
    assert_member_lists(world, reverse("api-goal-list"), first.pk)
    assert_member_reads(world, reverse("api-goal-detail", args=[first.pk]))
    listed = results(world.client_for(world.viewer).get(reverse("api-goal-list")))
    assert goal(foreign_contract, "1").pk not in [row["id"] for row in listed]


def test_goals_filter_by_contract(world, contract):
    other = Contract.objects.create(kind="programme", title="Anden", starts_on=TODAY, ends_on=TODAY)
    other.municipalities.set([world.home])
    Goal.objects.create(contract=other, number="1", title="Andet mål")
    client = world.client_for(world.viewer)

    rows = results(client.get(reverse("api-goal-list"), {"contract": contract.pk}))
    all_rows = results(client.get(reverse("api-goal-list")))

    assert [row["number"] for row in rows] == ["1", "2", "9"]
    assert len(all_rows) == 4


def test_goal_create_for_the_four_users(world, contract):
    """The manager adds a goal; the consultant and the viewer of the same municipality have
    no right (403); the outsider's contract id does not exist for it (400, as in crm.api);
    anonymous 401. Nothing is written by a refused call."""
    url = reverse("api-goal-list")
    data = {
        "contract": contract.pk,
        "number": "3",
        "title": "Besøg",
        "indicator": "sessions",
        "params": {"kind": "full"},
        "target": "1000",
    }

    for user in (world.consultant, world.viewer):
        assert send(world.client_for(user), "post", url, data).status_code == 403
    assert send(world.client_for(world.outsider), "post", url, data).status_code == 400
    assert send(Client(), "post", url, data).status_code == 401
    assert not contract.goals.filter(number="3").exists()

    response = send(world.client_for(world.manager), "post", url, data)

    assert response.status_code == 201, response.json()
    created = Goal.objects.get(pk=response.json()["id"])
    assert (created.contract, created.params, created.target) == (
        contract,
        {"kind": "full"},
        Decimal(1000),
    )


def test_goal_update_for_the_four_users(world, contract):
    first = goal(contract, "1")
    url = reverse("api-goal-detail", args=[first.pk])

    assert_four_users(
        world,
        url,
        allowed=world.manager,
        no_right=world.consultant,
        method="patch",
        data={"target": "150"},
        api=True,
    )
    first.refresh_from_db()
    assert first.target == Decimal(150)


def test_a_goal_stays_in_its_contract(world, contract):
    other = Contract.objects.create(kind="programme", title="Anden", starts_on=TODAY, ends_on=TODAY)
    other.municipalities.set([world.home])
    first = goal(contract, "1")

    send(
        world.client_for(world.manager),
        "patch",
        reverse("api-goal-detail", args=[first.pk]),
        {"contract": other.pk},
    )

    first.refresh_from_db()
    assert first.contract == contract


def test_an_indicator_outside_the_catalogue_is_refused(world, contract):
    response = send(
        world.client_for(world.manager),
        "patch",
        reverse("api-goal-detail", args=[goal(contract, "1").pk]),
        {"indicator": "happiness"},
    )

    assert response.status_code == 400
    assert "indicator" in response.json()


@pytest.mark.parametrize(
    ("indicator", "params", "names"),
    [
        ("projects", {"fundng": "lag"}, "fundng"),  # a typo in the indicator's own name
        ("companies_guided", {"tema": ["green"]}, "tema"),  # passed on to the session filter
        ("founders_share", {}, "group"),  # a required parameter left out
        ("referrals", {"target": "somewhere"}, "somewhere"),  # an unknown target kind
    ],
)
def test_parameters_the_indicator_does_not_take_are_refused_clearly(
    world, contract, indicator, params, names
):
    first = goal(contract, "1")
    response = send(
        world.client_for(world.manager),
        "patch",
        reverse("api-goal-detail", args=[first.pk]),
        {"indicator": indicator, "params": params},
    )

    assert response.status_code == 400
    message = response.json()["params"][0]
    label = CATALOGUE[indicator].label
    assert names in message and (f"“{label}”" in message or "ikke en gyldig værdi" in message)
    first.refresh_from_db()
    assert first.indicator == "companies_contacted"


def test_parameters_are_a_json_object(world, contract):
    response = send(
        world.client_for(world.manager),
        "patch",
        reverse("api-goal-detail", args=[goal(contract, "1").pk]),
        {"params": ["kind", "full"]},
    )

    assert response.status_code == 400
    assert "JSON-objekt" in response.json()["params"][0]


def test_judge_a_milestone_for_the_four_users(world, contract):
    milestone = goal(contract, "9")
    url = reverse("api-goal-judge", args=[milestone.pk])
    data = {"status": "met", "evidence": "Aftaler med alle 14 klynger underskrevet"}

    assert_four_users(
        world,
        url,
        allowed=world.manager,
        no_right=world.consultant,
        method="post",
        data=data,
        api=True,
    )
    milestone.refresh_from_db()
    assert (milestone.milestone_status, milestone.judged_by) == ("met", world.manager)
    body = world.client_for(world.viewer).get(reverse("api-goal-detail", args=[milestone.pk]))
    assert body.json()["milestone_status"] == "met"


def test_only_a_milestone_is_judged(world, contract):
    response = send(
        world.client_for(world.manager),
        "post",
        reverse("api-goal-judge", args=[goal(contract, "1").pk]),
        {"status": "met", "evidence": "Skøn"},
    )

    assert response.status_code == 400
    assert "milepæle" in response.json()["detail"]


# --- Snapshots -----------------------------------------------------------------------------


def computed(world, contract, company):
    log_session(world, company)
    world.client_for(world.manager).post(reverse("api-contract-compute", args=[contract.pk]))


def test_snapshot_list_and_detail_for_members_only(world, contract, company):
    computed(world, contract, company)
    snapshot = Snapshot.objects.filter(goal__contract=contract).first()

    assert_member_lists(world, reverse("api-snapshot-list"), snapshot.pk)
    assert_member_reads(world, reverse("api-snapshot-detail", args=[snapshot.pk]))


def test_snapshots_are_aggregates_only(world, contract, company, founder):
    computed(world, contract, company)

    response = world.client_for(world.viewer).get(reverse("api-snapshot-list"))

    rows = results(response)
    total = next(r for r in rows if r["goal"] == goal(contract, "1").pk and not r["municipality"])
    assert (total["value"], total["contract"], total["status"]) == ("1.00", contract.pk, "behind")
    for secret in (company.name, company.cvr, founder.name, "Fortrolige", "010190"):
        assert secret not in response.text


def test_snapshots_filter_by_contract_goal_date_and_municipality(world, contract, company):
    computed(world, contract, company)
    earlier = TODAY - datetime.timedelta(days=1)
    from contracts.services import compute_attainment

    compute_attainment(contract, earlier)
    client, url = world.client_for(world.viewer), reverse("api-snapshot-list")
    first = goal(contract, "1")

    def count(**query) -> int:
        return len(results(client.get(url, query)))

    assert count() == 8  # two computed goals x (total + Viborg) x two dates
    assert count(contract=contract.pk) == 8
    assert count(contract=0) == 0
    assert count(goal=first.pk) == 4
    assert count(goal=first.pk, as_of=earlier.isoformat()) == 2
    assert count(municipality="791") == 4
    assert count(municipality="751") == 0
    assert count(total="true", as_of=TODAY.isoformat()) == 2


def test_snapshot_list_query_count_does_not_grow_with_rows(
    world, contract, django_assert_num_queries
):
    from tests.crm.test_api_reads import count_queries

    first = goal(contract, "1")

    def add(days):
        Snapshot.objects.bulk_create(
            Snapshot(
                goal=first,
                as_of=TODAY - datetime.timedelta(days=n),
                municipality=world.home,
                value=n,
                status="on_track",
            )
            for n in days
        )

    add(range(3))
    client, url = world.client_for(world.viewer), reverse("api-snapshot-list")
    few = count_queries(client, url)
    add(range(3, 30))

    with django_assert_num_queries(few):
        assert len(results(client.get(url))) == 30


# --- Evaluations ---------------------------------------------------------------------------

HEADER = "operator;municipality_code;answered_on;segment;themes;satisfaction;nps;effect;cvr\n"


def csv_file(text: str):
    return SimpleUploadedFile("evaluering.csv", text.encode(), content_type="text/csv")


def evaluation_lines(code="791") -> str:
    return (
        HEADER
        + f"Viborgegnens Erhvervsråd;{code};01.03.{TODAY.year};growth;green;Meget tilfreds;10;"
        "I høj grad;35954716\n"
        + f"Viborgegnens Erhvervsråd;{code};02.03.{TODAY.year};operations;;Utilfreds;3;;\n"
    )


def test_evaluation_list_for_members_without_the_company(world, contract, company):
    answer = Evaluation.objects.create(
        operator=world.local,
        company=company,
        municipality=world.home,
        answered_on=TODAY,
        satisfaction="very",
        nps=9,
    )

    assert_member_lists(world, reverse("api-evaluation-list"), answer.pk)
    response = world.client_for(world.viewer).get(reverse("api-evaluation-list"))
    row = results(response)[0]
    assert "company" not in row
    assert (row["municipality"], row["operator"], row["nps"]) == ("791", world.local.name, 9)
    assert str(company.pk) not in str(row) and company.name not in response.text


def test_evaluation_import_for_the_four_users(world, contract, company):
    """The manager imports (201); the consultant and the viewer 403. The import names no
    municipality in its URL: like the other endpoints without one, the outsider (a
    consultant in Aarhus, no right to manage anywhere) answers 403, not 404."""
    url = reverse("api-evaluation-import")

    def upload(user):
        return world.client_for(user).post(url, {"file": csv_file(evaluation_lines())})

    for user in (world.consultant, world.viewer, world.outsider):
        assert upload(user).status_code == 403, user
    assert Client().post(url, {"file": csv_file(evaluation_lines())}).status_code == 401
    assert not Evaluation.objects.exists()

    response = upload(world.manager)

    assert response.status_code == 201, response.json()
    assert response.json()["count"] == 2 and response.json()["errors"] == []
    assert Evaluation.objects.filter(source="evaluering.csv").count() == 2


def test_evaluation_import_starts_the_recompute(
    world, contract, company, django_capture_on_commit_callbacks
):
    client = world.client_for(world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-evaluation-import"), {"file": csv_file(evaluation_lines())}
        )

    assert response.json()["contracts"] == [contract.pk]

    total = Snapshot.objects.get(goal__number="2", municipality=None)
    assert total.value == Decimal("50.0")


def test_a_broken_evaluation_file_is_refused_whole_with_the_line(world, contract):
    text = (
        "operator;municipality_code;answered_on;satisfaction\n"
        f"Viborgegnens Erhvervsråd;791;01.03.{TODAY.year};Meget tilfreds\n"
        f"Viborgegnens Erhvervsråd;791;31.02.{TODAY.year};Tilfreds\n"
    )

    response = world.client_for(world.manager).post(
        reverse("api-evaluation-import"), {"file": csv_file(text)}
    )

    assert response.status_code == 400
    assert "Linje 3" in response.json()["detail"] and "dd.mm.åååå" in response.json()["detail"]
    assert not Evaluation.objects.exists()


def test_an_evaluation_for_a_municipality_the_manager_does_not_manage_is_refused(world, contract):
    response = world.client_for(world.manager).post(
        reverse("api-evaluation-import"), {"file": csv_file(evaluation_lines(code="751"))}
    )

    assert response.status_code == 400
    assert "ukendt kommunekode" in response.json()["detail"]
    assert not Evaluation.objects.exists()


def test_an_import_without_a_file_is_refused(world):
    response = world.client_for(world.manager).post(reverse("api-evaluation-import"), {})

    assert response.status_code == 400
    assert "file" in response.json()


# --- Settlement ----------------------------------------------------------------------------


def settlement_url(contract) -> str:
    return reverse("api-contract-settlement", args=[contract.pk])


def test_settlement_for_the_four_users(world, contract, payable):
    assert_four_users(
        world, settlement_url(contract), allowed=world.manager, no_right=world.consultant, api=True
    )
    assert world.client_for(world.viewer).get(settlement_url(contract)).status_code == 403


def test_settlement_totals_with_masked_cpr_only(world, contract, payable, company, founder):
    response = world.client_for(world.manager).get(
        settlement_url(contract),
        {"start": D(TODAY.year, 1, 1).isoformat(), "end": D(TODAY.year, 12, 31).isoformat()},
    )

    body = response.json()
    assert body["total"] == "3000.00"
    lines = {line["kind"]: line for line in body["lines"]}
    founders, referrals = lines["founder"], lines["growth_referral"]
    assert (founders["amount_per_item"], founders["count"], founders["amount"]) == (
        "500.00",
        1,
        "500.00",
    )
    assert (referrals["count"], referrals["amount"]) == (1, "2500.00")
    assert founders["evidence"] == [
        {
            "id": founder.pk,
            "date": TODAY.isoformat(),
            "masked_cpr": "010190-xxxx",
            "company_name": None,
            "amount": "500.00",
        }
    ]
    assert referrals["evidence"][0]["id"] == payable.pk
    assert referrals["evidence"][0]["company_name"] == company.name
    assert CPR not in response.text and CPR[6:] not in response.text
    assert founder.name not in response.text


def test_settlement_defaults_to_the_contract_period_and_checks_the_dates(world, contract, payable):
    client = world.client_for(world.manager)

    whole = client.get(settlement_url(contract)).json()
    backwards = client.get(
        settlement_url(contract), {"start": f"{TODAY.year}-06-01", "end": f"{TODAY.year}-01-01"}
    )
    before = client.get(
        settlement_url(contract), {"start": "2000-01-01", "end": "2000-12-31"}
    ).json()

    assert (whole["start"], whole["end"], whole["total"]) == (
        f"{TODAY.year}-01-01",
        f"{TODAY.year}-12-31",
        "3000.00",
    )
    assert backwards.status_code == 400 and "end" in backwards.json()
    assert before["total"] == "0.00"
