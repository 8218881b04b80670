"""A batch's life as a manager drives it: upload and mapping, confirmation, failure (the
checking and the writing run in Celery: ``crm.imports.checking``, ``crm.imports.writing``)."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import concurrency
from crm.imports.access import check_can_import, managed_operator
from crm.imports.fields import FIELDS, suggest_mapping
from crm.models import ImportBatch
from crm.services import DomainError
from crm.spreadsheets import file_rows


def do_start_import(user, *, kind: str, name: str, data: bytes) -> ImportBatch:
    """A batch for the uploaded file: stored, its columns read and mapped by their names.
    Side effect: the file is saved in default_storage (deleted once checked)."""
    check_can_import(user)
    header = [cell.strip() for cell in file_rows(data)[0][1]]
    path = default_storage.save(f"indlaesninger/{timezone.now():%Y/%m}/upload", ContentFile(data))
    return ImportBatch.objects.create(
        kind=kind,
        operator=managed_operator(user),
        created_by=user,
        file_name=name[:200],
        file_path=path,
        columns=header,
        mapping=suggest_mapping(kind, header),
    )


@transaction.atomic
def do_set_mapping(batch: ImportBatch, mapping: dict[str, str]) -> None:
    """Keep the user's choice of columns and check the file in Celery. The batch is read
    again under its row lock: of two choices sent at once the second is refused, and the
    file is checked once."""
    concurrency.lock(batch)
    if batch.state != ImportBatch.State.UPLOADED:
        raise DomainError(_("Filen er allerede tjekket."))
    known = {spec.name for spec in FIELDS[batch.kind]}
    batch.mapping = {f: c for f, c in mapping.items() if f in known and c in batch.columns}
    missing = [
        str(spec.label)
        for spec in FIELDS[batch.kind]
        if spec.required and spec.name not in batch.mapping
    ]
    if missing:
        raise DomainError(_("Vælg en kolonne til: %(fields)s.") % {"fields": ", ".join(missing)})
    batch.state = ImportBatch.State.CHECKING
    batch.save(update_fields=["mapping", "state"])
    from crm.tasks import check_import

    transaction.on_commit(lambda: check_import.delay(batch.pk))


@transaction.atomic
def do_confirm_import(user, batch: ImportBatch) -> None:
    """Start the import of a checked batch without bad rows (all rows or none). The batch is
    read again under its row lock: of two confirmations at once the second is refused, and
    the batch is imported once."""
    concurrency.lock(batch)
    if batch.state != ImportBatch.State.CHECKED:
        raise DomainError(
            _("Indlæsningen kan ikke startes nu (status: %(state)s).")
            % {"state": batch.get_state_display()}
        )
    if batch.errors:
        raise DomainError(
            _("Filen har %(count)d fejl: ret dem og indlæs filen igen; intet er gemt.")
            % {"count": len({e["line"] for e in batch.errors})}
        )
    batch.state, batch.rows_done = ImportBatch.State.IMPORTING, 0
    batch.save(update_fields=["state", "rows_done"])
    from crm.tasks import run_import

    transaction.on_commit(lambda: run_import.delay(batch.pk))


def mark_failed(batch: ImportBatch, error: Exception) -> None:
    """The batch failed while it was checked or imported: say so on its page (a DomainError's
    message; else a general one, since other messages may quote a row). A task delivered
    twice that fails on a batch already checked or imported leaves it as it is."""
    message = str(error) if isinstance(error, DomainError) else _("Indlæsningen fejlede.")
    running = [ImportBatch.State.CHECKING, ImportBatch.State.IMPORTING]
    ImportBatch.objects.filter(pk=batch.pk, state__in=running).update(
        state=ImportBatch.State.FAILED, message=message
    )
