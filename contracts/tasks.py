import datetime

from celery import shared_task
from django.utils import timezone

from contracts import services
from contracts.models import Contract


@shared_task(acks_late=True)
def compute_contract_attainment(contract_id: int, as_of: str | None = None) -> int:
    """Snapshots of one contract's goals as of ``as_of`` (ISO date; today if omitted)."""
    day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return services.compute_attainment(Contract.objects.get(pk=contract_id), day).pk


@shared_task
def compute_all_active_contracts() -> int:
    """Beat, nightly: one task per contract (a contract is a chunk of real work)."""
    today = timezone.localdate().isoformat()
    ids = list(Contract.objects.filter(status=Contract.Status.ACTIVE).values_list("pk", flat=True))
    for contract_id in ids:
        compute_contract_attainment.delay(contract_id, today)
    return len(ids)
