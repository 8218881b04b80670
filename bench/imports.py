"""The migration import's write against ``bulk_create`` of the same rows (issue 13: >= 10x).

100,000 new companies, parsed once (``crm.imports.parse_company``, as the Celery check does),
then written two ways inside transactions that are rolled back (the bench data stays as it
was), alternating so background load hits both alike:

- ``copy``: the import's way: COPY into the staging table, the actions decided in SQL, one
  ``INSERT ... SELECT`` with the undo records (``crm.imports.copy_staged``,
  ``decide_actions``, ``run_batch``);
- ``bulk_create``: ``Company`` objects from the same rows, ``bulk_create`` in 5,000s.

Both pay the same database triggers (change history, search words) per row.
"""

import random
import time

from django.contrib.auth import get_user_model
from django.db import transaction

from crm import imports
from crm.models import Company, ImportBatch, Membership, Municipality, Operator
from crm.services import do_add_membership, do_set_operator_municipalities

HEADER = ["CVR-nr", "Virksomhedsnavn", "Adresse", "Postnr", "By", "Kommune"]


class Rollback(Exception):
    pass


def manager() -> tuple:
    user, _ = get_user_model().objects.get_or_create(username="bench-import-manager")
    operator, _ = Operator.objects.get_or_create(name="Bench import", defaults={"kind": "local"})
    do_set_operator_municipalities(operator, list(Municipality.objects.all()))
    do_add_membership(user, operator, Membership.Role.MANAGER)
    return user, operator


def new_cvrs(count: int) -> list[str]:
    taken = set(Company.objects.filter(cvr__startswith="9").values_list("cvr", flat=True))
    numbers = random.Random(13).sample(range(90_000_000, 100_000_000), count + len(taken))
    return [str(n) for n in numbers if str(n) not in taken][:count]


def staged_rows(batch: ImportBatch, count: int) -> list:
    codes = list(Municipality.objects.values_list("code", flat=True))
    mapping = imports.suggest_mapping("companies", HEADER)
    rows = [
        imports.Row(
            line,
            dict(
                zip(
                    HEADER,
                    [cvr, f"Imp {line} ApS", "Vej 1", "8800", "By", codes[line % len(codes)]],
                    strict=True,
                )
            ),
            mapping,
        )
        for line, cvr in enumerate(new_cvrs(count), start=2)
    ]
    ctx = imports.Context.read(batch, rows)
    staged = [imports.parse_company(row, ctx) for row in rows]
    assert not any(row.problems for row in rows)
    return staged


def timed(function) -> float:
    started = time.perf_counter()
    try:
        with transaction.atomic():
            function()
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - started


def run(rows: int = 100_000, runs: int = 2) -> list[tuple]:
    user, operator = manager()
    batch = ImportBatch.objects.create(
        kind="companies", operator=operator, created_by=user, file_name="bench.csv"
    )
    started = time.perf_counter()
    staged = staged_rows(batch, rows)
    parse_seconds = time.perf_counter() - started
    fields = {f.attname for f in Company._meta.concrete_fields}

    def by_copy():
        imports.copy_staged(batch, staged)
        imports.decide_actions(batch)
        imports.run_batch(batch)

    def by_bulk_create():
        objects = [Company(**{k: v for k, v in row.data.items() if k in fields}) for row in staged]
        Company.objects.bulk_create(objects, batch_size=5000)

    copy, bulk = [], []
    for _ in range(runs):
        copy.append(timed(by_copy))
        bulk.append(timed(by_bulk_create))
    batch.delete()
    best_copy, best_bulk = min(copy), min(bulk)
    print(f"  import: parse {parse_seconds:.1f} s; copy {copy}; bulk_create {bulk}")
    return [
        (f"import: parse and check {rows:,} companies", f"{parse_seconds:.1f} s", ""),
        (f"import: COPY + set-based INSERT, {rows:,}", f"{best_copy:.2f} s", ""),
        (f"import: bulk_create, {rows:,}", f"{best_bulk:.2f} s", ""),
        ("import: COPY vs bulk_create", f"{best_bulk / best_copy:.1f}x", ">= 10x"),
    ]
