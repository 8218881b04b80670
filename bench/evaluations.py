"""The evaluation import at volume (``python -m bench evaluations``).

A file of ``rows`` answers (CSV) about existing guidance sessions of the operator that guided
most companies, every third with a "referral used" answer, is imported by a manager of that
operator with ``contracts.evaluations.import_evaluations`` (the real path: read, check in
batches, COPY into staging, INSERT ... SELECT, uptake UPDATE). The reference, measured in the
same run and round-robin with it: ``Evaluation.objects.bulk_create`` of the same answers,
built beforehand (only the write is timed). Both end with ``SET CONSTRAINTS ALL IMMEDIATE``
so the deferred foreign-key checks are in the time, and each run is rolled back: the bench
database keeps no imported rows, user or membership. The import's write step alone
(``insert_answers``: COPY into staging, INSERT ... SELECT) is timed against bulk_create too:
its goal is the "COPY class" (a tenth of bulk_create's time or less); the whole import also
reads, checks and records uptake.
"""

import datetime
import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count

from bench.results import timed_row
from contracts.evaluations import check_rows, import_evaluations, insert_answers, read_rows
from contracts.models import Evaluation
from crm.models import GuidanceSession, Membership, Municipality, Operator
from crm.services import do_add_membership

TARGET_RATIO = 10.0
HEADER = "operator;municipality_code;answered_on;cvr;session_id;themes;satisfaction;nps;effect;"
HEADER += "referral_used"
SATISFACTION = ["Meget tilfreds", "Tilfreds", "Hverken/eller", "Utilfreds", "Ved ikke"]
EFFECT = ["I høj grad", "I nogen grad", "I lav grad", "Slet ikke", ""]
USED = ["Har brugt rådgivningen", "Har ikke brugt den", "Ved ikke"]


class Rollback(Exception):
    """Leaves the bench's transaction: nothing it wrote stays."""


def run(rows: int = 50_000, runs: int = 3) -> list[tuple]:
    try:
        with transaction.atomic():
            results = measure(rows, runs)
            raise Rollback
    except Rollback:
        pass
    return results


def busiest_operator() -> Operator:
    top = (
        GuidanceSession.objects.filter(company__isnull=False)
        .values("operator")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return Operator.objects.get(pk=top["operator"])


def importer(operator: Operator):
    user = get_user_model().objects.create(username="bench-evaluation-importer")
    do_add_membership(user, operator, Membership.Role.MANAGER)
    return user


def import_file(user, operator: Operator, rows: int) -> bytes:
    """``rows`` answers, one per session of ``operator`` about a company in its municipalities."""
    allowed = set(Municipality.objects.ids_for(user, "manage_contracts"))
    allowed &= set(Municipality.objects.ids_for(user, "change_records"))
    sessions = (
        GuidanceSession.objects.filter(
            operator=operator,
            company__isnull=False,
            municipality__in=allowed,
            company__municipality__in=allowed,
        )
        .order_by("pk")
        .values_list("pk", "company__cvr", "municipality__code", "date")[:rows]
    )
    lines = [HEADER]
    for i, (pk, cvr, code, day) in enumerate(sessions):
        answered = day + datetime.timedelta(days=30 + i % 60)
        lines.append(
            f"{operator.name};{code};{answered:%d.%m.%Y};{cvr};{pk};"
            f"{'Eksport' if i % 4 == 0 else ''};{SATISFACTION[i % 5]};{i % 11};{EFFECT[i % 5]};"
            f"{USED[i // 3 % 3] if i % 3 == 0 else ''}"
        )
    return ("\n".join(lines) + "\n").encode()


def reference_rows(user, data: bytes) -> list[Evaluation]:
    answers, errors = check_rows(user, read_rows(data))
    assert not errors, errors[:3]
    fields = [name for name in answers[0]._fields if name != "line"]
    return [
        Evaluation(**{name: getattr(a, name) for name in fields}, source="bench") for a in answers
    ]


def timed(write) -> float:
    """Seconds of ``write`` plus the deferred constraint checks, rolled back after."""
    savepoint = transaction.savepoint()
    started = time.perf_counter()
    write()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    seconds = time.perf_counter() - started
    transaction.savepoint_rollback(savepoint)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return seconds


def measure(rows: int, runs: int) -> list[tuple]:
    operator = busiest_operator()
    user = importer(operator)
    data = import_file(user, operator, rows)
    answers, _errors = check_rows(user, read_rows(data))
    reference = reference_rows(user, data)
    count = len(reference)
    imports, bulk, checks, uptakes, writes = [], [], [], [], []
    for _ in range(runs):
        writes.append(timed(lambda: insert_answers(answers, source="bench")))
        imports.append(
            timed(lambda: uptakes.append(import_evaluations(user, data, source="bench").uptakes))
        )
        bulk.append(timed(lambda: Evaluation.objects.bulk_create(reference)))
        for answer in reference:
            answer.pk = None  # bulk_create set them; the rows were rolled back
        started = time.perf_counter()
        import_evaluations(user, data, source="bench", dry_run=True)
        checks.append(time.perf_counter() - started)
    rate = count / statistics.median(imports)
    reference_rate = count / statistics.median(bulk)
    check_rate = count / statistics.median(checks)
    print(
        f"\nEvaluation import: {count:,} answers by {operator} ({len(data) / 1e6:.1f} MB CSV), "
        f"{uptakes[0]:,} referral uptakes recorded; median of {runs} runs"
    )
    print(
        f"  import_evaluations {statistics.median(imports):.2f} s ({rate:,.0f} rows/s), of which "
        f"reading and checking (dry run) {statistics.median(checks):.2f} s; "
        f"bulk_create {statistics.median(bulk):.2f} s ({reference_rate:,.0f} rows/s)"
    )
    write_rate = count / statistics.median(writes)
    return [
        timed_row(
            f"evaluations: the import's write of {count:,} answers (COPY, INSERT ... SELECT)",
            statistics.median(writes) * 1000,
            statistics.median(bulk) * 1000,
            f"<= 1/{TARGET_RATIO:.0f} of bulk_create's time",
            at_most=1 / TARGET_RATIO,
        ),
        (
            f"evaluations: the write, rows/s (bulk_create {reference_rate:,.0f})",
            f"{write_rate:,.0f} rows/s",
            "",
        ),  # fmt: skip
        (f"evaluations: import of {count:,} answers", f"{rate:,.0f} rows/s", ""),
        ("evaluations: of which dry run (read, check)", f"{check_rate:,.0f} rows/s", ""),
        ("evaluations: bulk_create (reference)", f"{reference_rate:,.0f} rows/s", ""),
        (
            "evaluations: import / bulk_create",
            f"{rate / reference_rate:.2f}x",
            f">= {TARGET_RATIO:.0f}x bulk_create",
        ),
    ]
