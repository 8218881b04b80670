import time

from django.core.management.base import BaseCommand

from referrals.demo import seed_referrals


class Command(BaseCommand):
    help = (
        "Seed a year of demo referrals in Region Midtjylland (after seed_demo): to Erhvervshus "
        "Midtjylland and to external advisers, once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hub", type=int, default=650, help="referrals to the hub")
        parser.add_argument("--advisers", type=int, default=500, help="to external advisers")
        parser.add_argument("--seed", type=int, default=1082)

    def handle(self, *args, **options):
        started = time.perf_counter()
        created = seed_referrals(
            rng_seed=options["seed"], hub=options["hub"], advisers=options["advisers"]
        )
        seconds = time.perf_counter() - started
        if created:
            made = ", ".join(f"{count} {name}" for name, count in created.items())
            self.stdout.write(f"Demo referrals created in {seconds:.1f} s: {made}.")
        else:
            self.stdout.write(
                "Demo referrals already present (or no demo sessions: run seed_demo first)."
            )
