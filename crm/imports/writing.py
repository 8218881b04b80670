"""Importing a checked batch (Celery, after the confirmation): all rows or none, set-based
``INSERT ... SELECT`` and ``UPDATE ... FROM`` the staging table, with what each record was
before (``ImportRecord``) for the undo."""

import pghistory
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from crm import concurrency
from crm.imports import triggers
from crm.imports.targets import TARGETS, Target, history_model, model_of
from crm.models import Consent, ImportBatch, ImportRecord, ImportStagingRow

Kind = ImportBatch.Kind


def run_batch(batch: ImportBatch) -> ImportBatch:
    """Write the staged rows: all or none, in one transaction, set-based. Every insert and
    update is in the change history with the batch as its context. Side effects: the staging
    rows are removed; contracts whose goals count sessions or referrals recompute. A batch
    not waiting for its import (a task delivered twice) is left as it is: a second run would
    move its history mark past later changes, which then no longer block the undo."""
    target = TARGETS[batch.kind]
    model = model_of(target.model)
    with transaction.atomic(), pghistory.context(import_batch=batch.pk):
        concurrency.lock(batch)
        if batch.state != ImportBatch.State.IMPORTING:
            return batch
        record_updates(batch, model, target)
        apply_updates(batch, model, target)
        insert_created(batch, model)
        if batch.kind == Kind.CONSENTS:
            name_recording_operator(batch)
        ImportStagingRow.objects.filter(batch=batch).delete()
        events = history_model(model).objects.order_by("-pgh_id").values_list("pgh_id", flat=True)
        batch.history_mark = events.first() or 0
        batch.finished_at = timezone.now()
        batch.state, batch.rows_done = ImportBatch.State.DONE, batch.rows_total
        batch.save()
        municipalities = touched_municipalities(batch, model)
        transaction.on_commit(lambda: recompute_contracts(municipalities))
    return batch


def column_list(model) -> list[str]:
    """The columns an insert writes: every concrete one but the id and generated ones."""
    return [
        f.column
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    ]


def insert_created(batch: ImportBatch, model) -> None:
    """Insert the rows to create (in the file's order), keep their ids for the undo and write
    the change history and search words of the new rows, set-based (crm.imports.triggers),
    in one statement. Positional parameters: pgtrigger.ignore prepends one."""
    table, staging = model._meta.db_table, ImportStagingRow._meta.db_table
    columns = column_list(model)
    values, params = [], []
    for f in model._meta.concrete_fields:
        if f.column not in columns:
            continue
        if f.column in ("cpr_encrypted", "cpr_hash"):
            values.append(f"s.{f.column}")
        elif not f.null and f.get_default() is not None:  # a column the file does not give
            params.append(f.get_db_prep_save(f.get_default(), connection))
            values.append(f"COALESCE(r.{f.column}, %s)")
        else:
            values.append(f"r.{f.column}")
    params += [batch.pk, batch.pk, model._meta.label_lower]
    with triggers.replaced_by_sql(model), connection.cursor() as cursor:
        cursor.execute(
            f"WITH created AS (INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 (names from code)
            f" SELECT {', '.join(values)} FROM {staging} s,"
            f" jsonb_populate_record(NULL::{table}, s.data) r"
            " WHERE s.batch_id = %s AND s.action = 'create' ORDER BY s.line"
            " RETURNING *),"
            f" records AS (INSERT INTO {ImportRecord._meta.db_table}"
            " (batch_id, model, object_id, action)"
            " SELECT %s, %s, id, 'created' FROM created)"
            f"{triggers.after_insert_sql(model, 'created')}"
            " SELECT count(*) FROM created",
            params,
        )


def record_updates(batch: ImportBatch, model, target: Target) -> None:
    """What each record to be updated holds now in the columns an import may change."""
    table, staging = model._meta.db_table, ImportStagingRow._meta.db_table
    before = ", ".join(f"'{c}', t.{c}" for c in target.update_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ImportRecord._meta.db_table}"  # noqa: S608 (names from code)
            " (batch_id, model, object_id, action, before)"
            f" SELECT %(batch)s, %(label)s, t.id, 'updated', jsonb_build_object({before})"
            f" FROM {table} t JOIN {staging} s ON s.target_id = t.id"
            " WHERE s.batch_id = %(batch)s AND s.action = 'update'",
            {"batch": batch.pk, "label": model._meta.label_lower},
        )


def apply_updates(batch: ImportBatch, model, target: Target) -> None:
    if not target.update_columns:
        return
    table, staging = model._meta.db_table, ImportStagingRow._meta.db_table
    sets = ", ".join(f"{c} = COALESCE(r.{c}, t.{c})" for c in target.update_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} t SET {sets} FROM {staging} s,"  # noqa: S608 (names from code)
            f" jsonb_populate_record(NULL::{table}, s.data) r"
            " WHERE s.batch_id = %s AND s.action = 'update' AND t.id = s.target_id",
            [batch.pk],
        )


def name_recording_operator(batch: ImportBatch) -> None:
    """A consent given to named operators names the one that recorded it."""
    through = Consent.operators.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through} (consent_id, operator_id)"  # noqa: S608 (names from code)
            f" SELECT c.id, c.operator_id FROM {ImportRecord._meta.db_table} ir"
            f" JOIN {Consent._meta.db_table} c ON c.id = ir.object_id"
            " WHERE ir.batch_id = %s AND ir.action = 'created' AND c.scope = 'named'",
            [batch.pk],
        )


def touched_municipalities(batch: ImportBatch, model) -> list[int]:
    if batch.kind not in (Kind.SESSIONS, Kind.REFERRALS):
        return []
    ids = ImportRecord.objects.filter(batch=batch).values("object_id")
    rows = model._base_manager.filter(pk__in=ids).order_by()
    return sorted(set(rows.values_list("municipality", flat=True).distinct()))


def recompute_contracts(municipality_ids) -> list[int]:
    """The goal attainment of the active contracts covering ``municipality_ids``, in Celery
    (contracts.tasks, by name: the contracts app builds on this one, not the other way)."""
    from celery import current_app

    if not municipality_ids:
        return []
    contract = apps.get_model("contracts", "Contract")
    ids = list(
        contract.objects.filter(municipalities__in=municipality_ids, status="active")
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    name = "contracts.tasks.compute_contract_attainment"
    if name not in current_app.tasks:  # a process that has not imported the apps' tasks yet
        current_app.loader.import_default_modules()  # Celery's autodiscovery, as a worker does
    task = current_app.tasks[name]
    for contract_id in ids:  # one task per contract: a contract is real work
        task.delay(contract_id)
    return ids
