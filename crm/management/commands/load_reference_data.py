from django.core.management.base import BaseCommand

from crm.reference import load_reference_data


class Command(BaseCommand):
    help = "Load regions, municipalities, Erhvervshuse and industry codes (idempotent)."

    def handle(self, *args, **options):
        summary = load_reference_data()
        self.stdout.write(
            f"Reference data: {summary.regions} regions, {summary.municipalities} municipalities, "
            f"{summary.hubs} Erhvervshuse, {summary.industry_codes} industry codes."
        )
