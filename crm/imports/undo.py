"""Undoing a batch: the records it created removed and its updates reverted, unless something
changed them since or refers to them (``undo_blockers``)."""

import pghistory
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.imports.access import import_municipality_ids
from crm.imports.targets import TARGETS, history_model, model_of
from crm.imports.writing import recompute_contracts
from crm.models import Consent, ImportBatch, ImportRecord
from crm.services import DomainError

Kind = ImportBatch.Kind


def undo_blockers(batch: ImportBatch) -> list[str]:
    """Why the batch cannot be undone: records changed since the import, or records it
    created that others now refer to (a session logged on an imported company)."""
    if batch.state != ImportBatch.State.DONE:
        return [_("Kun en gennemført indlæsning kan fortrydes.")]
    model = model_of(TARGETS[batch.kind].model)
    ids = list(ImportRecord.objects.filter(batch=batch).values_list("object_id", flat=True))
    created = ImportRecord.objects.filter(batch=batch, action=ImportRecord.Action.CREATED)
    changed = (
        history_model(model)
        .objects.filter(pgh_obj_id__in=ids, pgh_id__gt=batch.history_mark)
        .values_list("pgh_obj_id", flat=True)
        .distinct()
    )
    blockers = []
    if count := changed.count():
        blockers.append(
            _("%(count)d %(records)s er ændret siden indlæsningen (fx id %(id)s).")
            % {
                "count": count,
                "records": model._meta.verbose_name_plural,
                "id": changed.order_by("pgh_obj_id").first(),
            }
        )
    for rel, rows in references(model, created.values("object_id")):
        blockers.append(
            _("%(count)d %(rows)s er registreret på poster fra indlæsningen.")
            % {"count": rows.count(), "rows": rel.related_model._meta.verbose_name_plural}
        )
    return blockers


def reverse_relations(model) -> list:
    """Every relation that points at ``model``, the hidden ones (``related_name="+"``, such
    as an evaluation's or a consent read's company) included: ``_meta.related_objects``
    leaves those out. A many-to-many comes once (not again as its table's foreign key);
    other models' change history is history, not a reference."""
    from pghistory.models import Event

    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.is_relation
        and f.auto_created
        and not f.concrete
        and not f.related_model._meta.auto_created
        and (f.field.name == "pgh_obj" or not issubclass(f.related_model, Event))
    ]


def references(model, ids):
    """(relation, rows) of every other table that refers to one of ``ids`` (history
    excluded), the non-empty ones only."""
    for rel in reverse_relations(model):
        if rel.field.name == "pgh_obj":
            continue
        if rel.many_to_many:
            through = rel.through if hasattr(rel, "through") else rel.field.remote_field.through
            column = f"{model._meta.model_name}__in"
            rows = through.objects.filter(**{column: ids})
        else:
            rows = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": ids})
        if rows.exists():
            yield rel, rows


def do_undo_import(user, batch: ImportBatch) -> None:
    """Remove the records the batch created and put back what its updates changed, in one
    transaction, recorded in the change history with the batch. Refused (DomainError, with
    every reason) if something changed them since."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if blockers := undo_blockers(batch):
            raise DomainError(" ".join([_("Indlæsningen kan ikke fortrydes:"), *blockers]))
        model = model_of(TARGETS[batch.kind].model)
        with pghistory.context(undo_import_batch=batch.pk):
            revert_updates(batch, model)
            created = ImportRecord.objects.filter(batch=batch, action="created")
            if batch.kind == Kind.CONSENTS:
                Consent.operators.through.objects.filter(
                    consent__in=created.values("object_id")
                ).delete()
            model._base_manager.filter(pk__in=created.values("object_id"))._raw_delete("default")
        batch.state, batch.undone_at, batch.undone_by = (
            ImportBatch.State.UNDONE,
            timezone.now(),
            user,
        )
        batch.save(update_fields=["state", "undone_at", "undone_by"])
        municipalities = touched_municipalities_after_undo(batch)
        transaction.on_commit(lambda: recompute_contracts(municipalities))


def touched_municipalities_after_undo(batch: ImportBatch) -> list[int]:
    if batch.kind not in (Kind.SESSIONS, Kind.REFERRALS):
        return []
    return sorted(import_municipality_ids(batch.created_by))


def revert_updates(batch: ImportBatch, model) -> None:
    columns = TARGETS[batch.kind].update_columns
    if not columns:
        return
    table = model._meta.db_table
    sets = ", ".join(f"{c} = r.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} t SET {sets} FROM {ImportRecord._meta.db_table} ir,"  # noqa: S608 (names from code)
            f" jsonb_populate_record(NULL::{table}, ir.before) r"
            " WHERE ir.batch_id = %s AND ir.action = 'updated' AND t.id = ir.object_id",
            [batch.pk],
        )
