from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crm.impact_import import do_import_years
from crm.services import DomainError


class Command(BaseCommand):
    help = (
        "Import companies' figures by year (CSV or XLSX: cvr, år, årsværk, omsætning, "
        "bruttofortjeneste, eksportandel, status) with the source 'imported'."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        try:
            result = do_import_years(options["file"].read_bytes())
        except DomainError as error:
            raise CommandError(str(error)) from error
        for line, message in result["errors"]:
            self.stderr.write(f"{line}: {message}")
        self.stdout.write(f"{result['recorded']} years recorded, {len(result['errors'])} errors.")
