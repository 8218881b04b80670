import datetime
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from contracts.demo import seed_contracts
from contracts.models import Contract
from contracts.services import compute_attainment


def month_ends(start: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The last day of every month from ``start`` until ``last``, and ``last``: the history
    a running contract's forecast reads."""
    days, day = [], start
    while day < last:
        following = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        days.append(min(following - datetime.timedelta(days=1), last))
        day = following
    return sorted({*days, last})


class Command(BaseCommand):
    help = (
        "Load the three demo contracts of the source documents and the activity they are "
        "measured on, and compute attainment."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        logins = seed_contracts()
        today = timezone.localdate()
        for contract in Contract.objects.all():
            for day in month_ends(contract.starts_on, min(today, contract.ends_on)):
                compute_attainment(contract, day)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Contracts: {Contract.objects.count()} (attainment computed) in {seconds:.1f} s."
        )
        for username, password, operator in logins:
            self.stdout.write(f"  viewer      {username:<13} {password}   ({operator})")
