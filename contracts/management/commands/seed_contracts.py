import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from contracts.demo import seed_contracts
from contracts.models import Contract
from contracts.services import compute_attainment


class Command(BaseCommand):
    help = (
        "Load the three demo contracts of the source documents and the activity they are "
        "measured on, and compute attainment."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        logins = seed_contracts()
        for contract in Contract.objects.all():
            compute_attainment(contract, min(timezone.localdate(), contract.ends_on))
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Contracts: {Contract.objects.count()} (attainment computed) in {seconds:.1f} s."
        )
        for username, password, operator in logins:
            self.stdout.write(f"  viewer      {username:<13} {password}   ({operator})")
