"""Checking a batch (Celery): every row parsed, the good ones COPYed into the unlogged staging
table, matched to existing records and counted as created, updated or skipped, in SQL."""

import json

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count

from crm import concurrency
from crm.imports.parsing import Context, Row, Staged, masked_cells
from crm.imports.targets import TARGETS, model_of
from crm.models import ImportBatch, ImportStagingRow
from crm.spreadsheets import file_rows

PROGRESS_EVERY = 2000  # rows between progress updates on the batch


def check_batch(batch: ImportBatch) -> ImportBatch:
    """Parse and check every row, stage the good ones, count what will be created, updated
    and skipped. Side effects: the upload is deleted (it holds plaintext CPR numbers);
    progress is saved on the batch as rows are read. A batch no longer waiting for its check
    (a task delivered twice) is left as it is."""
    if batch.state != ImportBatch.State.CHECKING:
        return batch
    with default_storage.open(batch.file_path) as stored:
        lines = file_rows(stored.read())
    header = [cell.strip() for cell in lines[0][1]]
    rows = [
        Row(line, dict(zip(header, cells, strict=False)), batch.mapping)
        for line, cells in lines[1:]
    ]
    batch.rows_total = len(rows)
    batch.save(update_fields=["rows_total"])
    ctx = Context.read(batch, rows)
    parse = TARGETS[batch.kind].parse
    staged, errors = [], []
    for number, row in enumerate(rows, start=1):
        result = parse(row, ctx)
        if row.problems:
            errors += bad_row(row)
        else:
            staged.append(result)
        if number % PROGRESS_EVERY == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(rows_done=number)
    with transaction.atomic():
        concurrency.lock(batch)
        if batch.state != ImportBatch.State.CHECKING:
            return batch  # checked meanwhile by the same task delivered twice
        ImportStagingRow.objects.filter(batch=batch).delete()
        copy_staged(batch, staged)
        decide_actions(batch)
        counts = staged_counts(batch)
        batch.created_count, batch.updated_count, batch.skipped_count = counts
        batch.errors, batch.rows_done = errors, len(rows)
        batch.state = ImportBatch.State.CHECKED
        batch.save()
    default_storage.delete(batch.file_path)
    ImportBatch.objects.filter(pk=batch.pk).update(file_path="")
    return batch


def bad_row(row: Row) -> list[dict]:
    cells = masked_cells(row)
    return [
        {"line": row.line, "column": column, "reason": reason, "cells": cells}
        for column, reason in row.problems
    ]


def copy_staged(batch: ImportBatch, staged: list[Staged]) -> None:
    """COPY the rows into the staging table: one statement, whatever the count. Then ANALYZE
    it: nothing else does in time (autovacuum never sees the rows of an open transaction),
    and without statistics the planner takes a batch of 100,000 rows for ten and joins
    them to the records they match by nested loop."""
    table = ImportStagingRow._meta.db_table
    columns = "batch_id, line, action, target_id, data, cpr_encrypted, cpr_hash"
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in staged:
                copy.write_row(
                    (
                        batch.pk,
                        row.line,
                        row.action,
                        row.target_id,
                        json.dumps(row.data),
                        row.cpr_encrypted,
                        row.cpr_hash,
                    )
                )
        cursor.execute(f"ANALYZE {table}")


def decide_actions(batch: ImportBatch) -> None:
    """Rows matching a record: an update where the file changes one of its columns, else
    skipped. Rows of sessions, referrals and consents already registered are skipped."""
    target = TARGETS[batch.kind]
    table, staging = model_of(target.model)._meta.db_table, ImportStagingRow._meta.db_table
    with connection.cursor() as cursor:
        if target.match_sql:
            cursor.execute(
                f"UPDATE {staging} s SET target_id = t.id, action = 'match' FROM {table} t"  # noqa: S608 (names from code)
                f" WHERE s.batch_id = %s AND s.action = 'match' AND {target.match_sql}",
                [batch.pk],
            )
            cursor.execute(
                f"UPDATE {staging} SET action = 'create'"  # noqa: S608 (names from code)
                " WHERE batch_id = %s AND action = 'match' AND target_id IS NULL",
                [batch.pk],
            )
        changed = " OR ".join(
            f"(r.{c} IS NOT NULL AND r.{c} IS DISTINCT FROM t.{c})" for c in target.update_columns
        )
        cursor.execute(
            f"UPDATE {staging} s SET action = CASE WHEN {changed or 'false'}"  # noqa: S608 (names from code)
            " THEN 'update' ELSE 'skip' END"
            f" FROM {table} t, (SELECT s2.id AS staged_id, p.* FROM {staging} s2,"
            f" jsonb_populate_record(NULL::{table}, s2.data) p"
            " WHERE s2.batch_id = %s AND s2.action = 'match') r"
            " WHERE s.id = r.staged_id AND t.id = s.target_id",
            [batch.pk],
        )


def staged_counts(batch: ImportBatch) -> tuple[int, int, int]:
    rows = ImportStagingRow.objects.filter(batch=batch).values("action").order_by()
    counts = dict(rows.annotate(n=Count("pk")).values_list("action", "n"))
    return counts.get("create", 0), counts.get("update", 0), counts.get("skip", 0)
