"""The attainment job: one task per contract, spread over every worker.

Safe to run twice and to lose a worker halfway: ``compute_attainment`` replaces a day's
snapshots in one transaction (a rerun gives the same rows, a run that dies leaves the previous
set), and the tasks are acknowledged only when finished (``CELERY_TASK_ACKS_LATE``), so a task
whose worker died goes back to the queue and another worker computes it.
"""

import datetime
import logging
import time

from celery import chord, shared_task
from django.conf import settings
from django.utils import timezone

from contracts import services
from contracts.models import AttainmentRun, Contract, Snapshot

logger = logging.getLogger(__name__)


def attainment_task_id(contract_id: int, as_of: str) -> str:
    """One id per contract and day: a day's task can be looked up (or revoked) by name."""
    return f"attainment-{contract_id}-{as_of}"


def summary_task_id(as_of: str) -> str:
    return f"attainment-summary-{as_of}"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_contract_attainment(contract_id: int, as_of: str | None = None) -> int:
    """Snapshots of one contract's goals as of ``as_of`` (ISO date; today if omitted)."""
    if settings.ATTAINMENT_TASK_PAUSE:  # tests only: a window in which to kill the worker
        time.sleep(settings.ATTAINMENT_TASK_PAUSE)
    day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return services.compute_attainment(Contract.objects.get(pk=contract_id), day).pk


@shared_task(acks_late=True, reject_on_worker_lost=True)
def record_attainment_summary(run_ids: list[int], as_of: str) -> dict:
    """The chord's end: what the night's runs computed, in the log (and the task's result)."""
    runs = AttainmentRun.objects.filter(pk__in=run_ids)
    summary = {
        "as_of": as_of,
        "contracts": runs.values("contract").distinct().count(),
        "done": runs.filter(state=AttainmentRun.State.DONE).count(),
        "snapshots": Snapshot.objects.filter(
            goal__contract__in=runs.values("contract"), as_of=as_of
        ).count(),
    }
    logger.info("Attainment as of %(as_of)s: %(done)s of %(contracts)s contracts, "
                "%(snapshots)s snapshots", summary)  # fmt: skip
    return summary


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_all_active_contracts() -> int:
    """Beat, nightly: a chord of one task per active contract (a contract is a chunk of real
    work), so the contracts are computed on all workers at once; the summary follows the last."""
    today = timezone.localdate().isoformat()
    ids = list(Contract.objects.filter(status=Contract.Status.ACTIVE).values_list("pk", flat=True))
    if ids:
        header = [
            compute_contract_attainment.si(pk, today).set(task_id=attainment_task_id(pk, today))
            for pk in ids
        ]
        callback = record_attainment_summary.s(today).set(task_id=summary_task_id(today))
        chord(header)(callback)
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_surveys() -> dict:
    """Beat, hourly: the own user survey's invitations, e-mails, reminders and expiries
    (``contracts.surveys.sending``; safe to run twice at once)."""
    from contracts.surveys import sending

    return sending.run().__dict__
