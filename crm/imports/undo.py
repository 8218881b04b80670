"""Undoing a batch: the records it created removed and its updates reverted, unless something
changed or merged them since or refers to them (``undo_blockers``)."""

import pghistory
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import concurrency
from crm.imports.access import import_municipality_ids
from crm.imports.targets import TARGETS, history_model, model_of
from crm.imports.writing import recompute_contracts
from crm.models import Consent, ImportBatch, ImportRecord
from crm.services import DomainError

Kind = ImportBatch.Kind


def undo_blockers(batch: ImportBatch) -> list[str]:
    """Why the batch cannot be undone: records merged with another since the import (a
    merge moves the history of the record merged away to the survivor, so both ends count),
    records otherwise changed or deleted since, or records it created that others now refer
    to (a session logged on an imported company)."""
    if batch.state == ImportBatch.State.UNDONE:
        return [_("Indlæsningen er allerede fortrudt.")]
    if batch.state != ImportBatch.State.DONE:
        return [_("Kun en gennemført indlæsning kan fortrydes.")]
    model = model_of(TARGETS[batch.kind].model)
    merged, changed = changed_since(batch, model)
    records = model._meta.verbose_name_plural
    blockers = []
    if merged:
        blockers.append(
            _(
                "%(count)d %(records)s er lagt sammen med en anden post siden indlæsningen "
                "(fx id %(id)s)."
            )
            % {"count": len(merged), "records": records, "id": min(merged)}
        )
    if changed:
        blockers.append(
            _("%(count)d %(records)s er ændret eller slettet siden indlæsningen (fx id %(id)s).")
            % {"count": len(changed), "records": records, "id": min(changed)}
        )
    created = ImportRecord.objects.filter(batch=batch, action=ImportRecord.Action.CREATED)
    for rel, rows in references(model, created.values("object_id")):
        blockers.append(
            _("%(count)d %(rows)s er registreret på poster fra indlæsningen.")
            % {"count": rows.count(), "rows": rel.related_model._meta.verbose_name_plural}
        )
    return blockers


def changed_since(batch: ImportBatch, model) -> tuple[set[int], set[int]]:
    """The ids of the batch's records with change-history events after the import: those a
    merge touched (merged away: their own events, wherever they moved; survivors: the
    events moved onto them), and the others changed or deleted."""
    ids = ImportRecord.objects.filter(batch=batch).values("object_id")
    later = history_model(model).objects.filter(pgh_id__gt=batch.history_mark)
    merge = Q(pgh_context__metadata__has_key="merge")
    merged = set(later.filter(merge, id__in=ids).values_list("id", flat=True))
    merged |= set(later.filter(merge, pgh_obj_id__in=ids).values_list("pgh_obj_id", flat=True))
    changed = set(later.filter(id__in=ids).exclude(merge).values_list("id", flat=True))
    return merged, changed - merged


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
    every reason) if something changed them since. The batch and then its records are
    locked first, the records in id order as a merge locks its two: of two undos at once the
    second finds the batch undone, and an undo and a merge of one of its records take turns,
    the second reading what the first wrote."""
    with transaction.atomic():
        concurrency.lock(batch)
        model = model_of(TARGETS[batch.kind].model)
        lock_records(batch, model)
        if blockers := undo_blockers(batch):
            raise DomainError(" ".join([_("Indlæsningen kan ikke fortrydes:"), *blockers]))
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


def lock_records(batch: ImportBatch, model) -> None:
    ids = ImportRecord.objects.filter(batch=batch).values("object_id")
    rows = model._base_manager.filter(pk__in=ids).order_by("pk").select_for_update()
    list(rows.values_list("pk", flat=True))


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
