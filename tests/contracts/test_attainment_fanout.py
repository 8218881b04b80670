"""The nightly attainment job on several real worker processes: the fan-out per contract, a
second night's run, and a worker killed while it computes a contract.

The workers use a Redis server of this test's own: the short visibility timeout that makes a
dead worker's task come back within seconds would otherwise also hand back long tasks of other
runs that share the developer's Redis.
"""

import datetime
import shutil
import signal
import socket
import subprocess
import time

import pytest
from celery.result import AsyncResult
from django.utils import timezone

from contracts.models import AttainmentRun, Contract, Goal, Snapshot
from contracts.tasks import (
    attainment_task_id,
    compute_all_active_contracts,
    compute_contract_attainment,
    summary_task_id,
)
from crm import services
from crm.models import Company
from tests.conftest import CVRS, start_worker

pytestmark = pytest.mark.django_db(transaction=True)

D = datetime.date


@pytest.fixture
def own_redis():
    binary = shutil.which("redis-server")
    assert binary, "this test starts a redis-server of its own: install one"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


class Workers:
    """Real worker processes on one queue and ``own_redis``; tasks are sent to them there."""

    def __init__(self, app, url, tmp_path, monkeypatch):
        self.app, self.url, self.tmp_path, self.monkeypatch = app, url, tmp_path, monkeypatch
        self.queue = f"test-fanout-{time.monotonic_ns()}"
        self.processes = []

    def start(self, **env) -> subprocess.Popen:
        with self.monkeypatch.context() as patch:
            patch.setenv("REDIS_URL", self.url)
            for name, value in env.items():
                patch.setenv(name, str(value))
            process = start_worker(self.tmp_path, self.queue)
        self.processes.append(process)
        return process

    def send(self, task, *args, task_id=None):
        with self.app.connection_for_write(self.url) as connection:
            task.apply_async(args, queue=self.queue, task_id=task_id, connection=connection)

    def result(self, task_id: str) -> AsyncResult:
        backend = type(self.app.backend)(app=self.app, url=self.url)
        return AsyncResult(task_id, backend=backend, app=self.app)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


@pytest.fixture
def workers(celery_in_process, own_redis, tmp_path, monkeypatch):
    celery_in_process.conf.task_always_eager = False
    workers = Workers(celery_in_process, own_redis, tmp_path, monkeypatch)
    try:
        yield workers
    finally:
        workers.stop()


def active_contract(world, title: str, municipalities) -> Contract:
    today = timezone.localdate()
    contract = Contract.objects.create(
        kind="performance",
        title=title,
        starts_on=D(today.year, 1, 1),
        ends_on=D(today.year, 12, 31),
        status="active",
    )
    contract.municipalities.set(municipalities)
    contract.parties.set([world.local])
    for number, indicator in [("1", "companies_contacted"), ("2", "companies_guided")]:
        Goal.objects.create(
            contract=contract, number=number, title=indicator, indicator=indicator, target=10
        )
    Goal.objects.create(contract=contract, number="9", title="Klynger", is_milestone=True)
    return contract


def snapshot_rows(contract: Contract) -> list[tuple]:
    return sorted(
        Snapshot.objects.filter(goal__contract=contract).values_list(
            "goal__number", "municipality__code", "as_of", "value", "status"
        ),
        key=str,
    )


@pytest.fixture
def two_contracts(world):
    company = Company.objects.create(cvr=CVRS[0], name="Firma A/S", municipality=world.home)
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=timezone.localdate(),
        tier="local",
        channel="visit",
    )
    return [
        active_contract(world, "Viborg", [world.home]),
        active_contract(world, "Viborg og Aarhus", [world.home, world.other]),
    ]


def test_the_nightly_job_fans_out_over_two_workers_and_a_second_run_replaces_the_day(
    workers, two_contracts
):
    workers.start()
    workers.start()
    today = timezone.localdate().isoformat()

    workers.send(compute_all_active_contracts)
    first = workers.result(summary_task_id(today)).get(timeout=60)
    rows = {contract.pk: snapshot_rows(contract) for contract in two_contracts}
    workers.result(summary_task_id(today)).forget()
    workers.send(compute_all_active_contracts)
    second = workers.result(summary_task_id(today)).get(timeout=60)

    # Two computed goals (the milestone is judged, not computed), each in total and per
    # municipality: 2 x 2 rows for Viborg, 2 x 3 for Viborg and Aarhus; the same after a rerun.
    assert first == second == {"as_of": today, "contracts": 2, "done": 2, "snapshots": 10}
    viborg, both = two_contracts
    assert [len(rows[viborg.pk]), len(rows[both.pk])] == [4, 6]
    assert {contract.pk: snapshot_rows(contract) for contract in two_contracts} == rows
    assert ("1", None, 1) in [(row[0], row[1], row[3]) for row in rows[viborg.pk]]
    assert AttainmentRun.objects.filter(state="done").count() == 4  # it did run twice


def test_a_task_of_a_killed_worker_is_computed_by_the_next_worker(workers, two_contracts):
    contract = two_contracts[0]
    today = timezone.localdate().isoformat()
    task_id = attainment_task_id(contract.pk, today)
    # The first worker pauses in the task, so the test can kill it while the task runs; its
    # tasks come back to the queue 2 s after they were taken, checked every second.
    restore = {"CELERY_VISIBILITY_TIMEOUT": 2, "CELERY_RESTORE_INTERVAL": 1}
    first = workers.start(ATTAINMENT_TASK_PAUSE=60, CELERY_RESTORE_THROTTLE=1, **restore)
    result = workers.result(task_id)

    workers.send(compute_contract_attainment, contract.pk, today, task_id=task_id)
    for _ in range(600):  # the worker starts (Django, checks) and takes the task
        if result.state == "STARTED":
            break
        time.sleep(0.1)
    assert result.state == "STARTED"
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    assert not Snapshot.objects.exists()  # the dead worker computed nothing

    workers.start(CELERY_RESTORE_THROTTLE=1, **restore)
    run_id = result.get(timeout=60)

    assert AttainmentRun.objects.get(pk=run_id).state == "done"
    assert len(snapshot_rows(contract)) == 4
