import time
from dataclasses import fields

from django.core.management.base import BaseCommand

from crm.demo import DemoSizes, seed_demo


class Command(BaseCommand):
    help = (
        "Seed the Region Midtjylland demo: operators, one login per role (new passwords, "
        "authenticator keys and recovery codes every run) and, once, a year of records."
    )

    def add_arguments(self, parser):
        for size in fields(DemoSizes):
            parser.add_argument(f"--{size.name}", type=int, default=size.default)

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = seed_demo(
            DemoSizes(**{size.name: options[size.name] for size in fields(DemoSizes)})
        )
        seconds = time.perf_counter() - started
        if result.created:
            made = ", ".join(f"{count} {name}" for name, count in result.created.items())
            self.stdout.write(f"Demo records created in {seconds:.1f} s: {made}.")
        else:
            self.stdout.write(f"Demo records already present; logins reset in {seconds:.1f} s.")
        self.stdout.write("Demo logins (http://localhost:8000/login/):")
        for login in result.logins:
            self.stdout.write(
                f"  {login.role:<11} {login.username:<13} {login.password}   ({login.operator})"
            )
            if login.totp_secret:
                self.stdout.write(f"{'':<27}authenticator key: {login.totp_secret}")
                self.stdout.write(f"{'':<27}recovery codes: {' '.join(login.recovery_codes)}")
        self.stdout.write(
            "Roles that see person data log in with a second factor: type the key into an "
            "authenticator app (or run `oathtool --totp -b KEY`), or use a recovery code once."
        )
