"""The migration import's write against ``bulk_create`` of the same rows (issue 13: >= 10x).

100,000 new companies, parsed once (``crm.imports.parse_company``, as the Celery check does),
then written three ways inside transactions that are rolled back (the bench data stays as it
was; a VACUUM before each clears what the last left behind), round-robin so background load
hits them alike; each time includes the foreign-key checks a commit would run (``SET
CONSTRAINTS ALL IMMEDIATE`` at the end):

- ``import``: COPY into the staging table (and its ANALYZE), the actions decided in SQL, one
  ``INSERT ... SELECT`` with the undo records, the change history and the search words
  (``crm.imports.copy_staged``, ``decide_actions``, ``run_batch``; the row triggers ignored and
  done set-based, ``crm.imports.triggers``);
- ``bulk_create``: ``Company`` objects from the same rows, ``bulk_create`` in 5,000s, every
  row trigger firing: the issue's reference. Its foreign keys are checked at commit
  (Django's ``INITIALLY DEFERRED``), and each trigger call opens a subtransaction that costs
  time in proportion to the checks queued so far: it grows with the square of the rows;
- ``bulk_create, checked at once``: the same with ``SET CONSTRAINTS ALL IMMEDIATE`` first (as
  the import does), linear: the fairer reference, reported beside it.
"""

import random
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from bench.results import timed_row
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
    """Seconds of ``function`` and of the deferred constraint checks, rolled back after."""
    started = time.perf_counter()
    try:
        with transaction.atomic():
            function()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return seconds


def vacuum() -> None:
    """The rows a rolled-back run left behind, cleared before the next: each way starts from
    the same tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) crm_company, crm_companyevent, crm_searchword, crm_importrecord,"
            " crm_importstagingrow, pghistory_context"
        )


def run(rows: int = 100_000, runs: int = 1) -> list:
    user, operator = manager()
    batch = ImportBatch.objects.create(
        kind="companies", operator=operator, created_by=user, file_name="bench.csv"
    )
    started = time.perf_counter()
    staged = staged_rows(batch, rows)
    parse_seconds = time.perf_counter() - started
    fields = {f.attname for f in Company._meta.concrete_fields}

    def by_import():
        imports.copy_staged(batch, staged)
        imports.decide_actions(batch)
        ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.IMPORTING)
        imports.run_batch(batch)

    def by_bulk_create(at_once: bool = False):
        if at_once:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        objects = [Company(**{k: v for k, v in row.data.items() if k in fields}) for row in staged]
        Company.objects.bulk_create(objects, batch_size=5000)

    ways = {
        "import": by_import,
        "bulk_create": by_bulk_create,
        "bulk_create, checked at once": lambda: by_bulk_create(at_once=True),
    }
    seconds = {name: [] for name in ways}
    for _ in range(runs):
        for name, way in ways.items():
            vacuum()
            seconds[name].append(timed(way))
            print(f"  {name}: {seconds[name][-1]:.2f} s", flush=True)
    batch.delete()
    best = {name: min(times) for name, times in seconds.items()}
    print(
        f"  import: parse {parse_seconds:.1f} s; "
        + "; ".join(f"{k} {v}" for k, v in seconds.items())
    )
    goal = "<= 1/10 of bulk_create's time"
    return [
        (f"import: parse and check {rows:,} companies", f"{parse_seconds:.1f} s", ""),
        timed_row(
            f"import: COPY + set-based INSERT of {rows:,} companies vs bulk_create",
            best["import"] * 1000,
            best["bulk_create"] * 1000,
            goal,
            at_most=0.1,
        ),
        timed_row(
            "import: the same vs bulk_create with its foreign keys checked at once",
            best["import"] * 1000,
            best["bulk_create, checked at once"] * 1000,
            goal,
            at_most=0.1,
        ),
        (
            "import: rows/s (bulk_create; checked at once)",
            f"{rows / best['import']:,.0f} ({rows / best['bulk_create']:,.0f};"
            f" {rows / best['bulk_create, checked at once']:,.0f})",
            "",
        ),
    ]
