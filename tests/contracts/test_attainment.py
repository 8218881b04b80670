import datetime
import signal
import time
from decimal import Decimal

import pytest

from contracts.models import AttainmentRun, Contract, Goal, Snapshot
from contracts.services import compute_attainment, pace
from contracts.tasks import compute_contract_attainment
from crm import services
from crm.models import Company
from tests.conftest import CVRS

D = datetime.date
AS_OF = D(2026, 7, 1)


def contract_for(world, **fields) -> Contract:
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt 2026",
        starts_on=D(2026, 1, 1),
        ends_on=D(2026, 12, 31),
        status="active",
        **fields,
    )
    contract.municipalities.set([world.home, world.other])
    contract.parties.set([world.local])
    return contract


def guided_company(world, cvr, date):
    company = Company.objects.create(cvr=cvr, name=f"Firma {cvr}", municipality=world.home)
    services.do_log_session(
        world.consultant, company, operator=world.local, date=date, tier="local", channel="visit"
    )
    return company


def rows(contract):
    return sorted(
        Snapshot.objects.filter(goal__contract=contract).values_list(
            "goal__number", "municipality__code", "value", "target", "status", "as_of"
        ),
        key=str,
    )


@pytest.mark.django_db
def test_a_count_is_judged_against_the_straight_line_to_the_target(world):
    contract = contract_for(world)
    Goal.objects.create(
        contract=contract,
        number="1",
        title="Vejledte virksomheder",
        indicator="companies_guided",
        target=4,
        per_municipality=True,
    )
    guided_company(world, CVRS[0], D(2026, 2, 1))
    guided_company(world, CVRS[1], D(2026, 3, 1))

    compute_attainment(contract, AS_OF)

    assert pace(type("P", (), {"start": D(2026, 1, 1), "end": D(2026, 12, 31)}), AS_OF) == Decimal(
        182
    ) / Decimal(365)
    assert rows(contract) == [
        ("1", "751", Decimal(0), Decimal(4), "behind", AS_OF),
        ("1", "791", Decimal(2), Decimal(4), "on_track", AS_OF),  # 2 >= 4 x 182/365
        ("1", None, Decimal(2), Decimal(8), "behind", AS_OF),  # 2 < 0.8 x 8 x 182/365
    ]


@pytest.mark.django_db
def test_a_share_is_judged_against_the_target_and_milestones_are_not_computed(world):
    contract = contract_for(world)
    Goal.objects.create(
        contract=contract,
        number="4",
        title="Henvisninger brugt",
        indicator="uptake_share",
        target_kind="share",
        target=45,
    )
    Goal.objects.create(contract=contract, number="9", title="Klyngeaftaler", is_milestone=True)

    compute_attainment(contract, AS_OF)

    assert [row[4] for row in rows(contract)] == ["no_data", "no_data", "no_data"]


@pytest.mark.django_db
def test_running_twice_for_a_date_gives_the_same_rows_and_history_is_kept(world):
    contract = contract_for(world)
    Goal.objects.create(
        contract=contract, number="1", title="x", indicator="companies_contacted", target=10
    )
    guided_company(world, CVRS[0], D(2026, 2, 1))

    compute_attainment(contract, AS_OF)
    first = rows(contract)
    compute_attainment(contract, AS_OF)
    assert rows(contract) == first
    compute_attainment(contract, D(2026, 8, 1))
    assert Snapshot.objects.filter(goal__contract=contract).count() == 6


@pytest.mark.django_db(transaction=True)
def test_attainment_runs_in_a_real_worker(world, real_worker):
    contract = contract_for(world)
    Goal.objects.create(
        contract=contract, number="1", title="x", indicator="companies_contacted", target=10
    )
    guided_company(world, CVRS[0], D(2026, 2, 1))

    run_id = compute_contract_attainment.apply_async(
        (contract.pk, AS_OF.isoformat()), queue=real_worker.queue
    ).get(timeout=60)

    assert AttainmentRun.objects.get(pk=run_id).state == "done"
    assert ("1", None, Decimal(1), Decimal(10), "behind", AS_OF) in rows(contract)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_halfway_leaves_the_previous_snapshot_and_a_rerun_is_identical(
    world, real_worker
):
    contract = contract_for(world)
    for number in range(150):  # enough goals for the run to take a while
        Goal.objects.create(
            contract=contract,
            number=str(number),
            title="x",
            indicator="companies_contacted",
            target=10,
        )
    guided_company(world, CVRS[0], D(2026, 2, 1))
    compute_attainment(contract, AS_OF)
    before = rows(contract)
    guided_company(world, CVRS[1], D(2026, 3, 1))  # the next run would change every value

    compute_contract_attainment.apply_async(
        (contract.pk, AS_OF.isoformat()), queue=real_worker.queue
    )
    for _ in range(400):
        if AttainmentRun.objects.filter(state="running").exists():
            break
        time.sleep(0.05)
    real_worker.process.send_signal(signal.SIGKILL)
    real_worker.process.wait(timeout=30)

    assert AttainmentRun.objects.filter(state="running").exists()  # it died in the middle
    assert rows(contract) == before
    compute_attainment(contract, AS_OF)
    after = rows(contract)
    compute_attainment(contract, AS_OF)
    assert rows(contract) == after != before
    assert len(after) == len(before) == 150 * 3
