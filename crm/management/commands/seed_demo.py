from django.core.management.base import BaseCommand

from crm.demo import seed_demo


class Command(BaseCommand):
    help = "Seed the Region Midtjylland demo and print one login per role (new passwords)."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write("Demo logins (http://localhost:8000/login/):")
        for login in logins:
            self.stdout.write(
                f"  {login.role:<11} {login.username:<13} {login.password}   ({login.operator})"
            )
