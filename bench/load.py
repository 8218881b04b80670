"""Load a million companies (and, through ``copy_table``, any table) with psycopg 3 COPY.

``search_name`` is a stored generated column: PostgreSQL computes it, the COPY leaves it out.
The pghistory triggers are disabled during the load (they would write a history row per row);
the secondary indexes and the foreign keys are dropped and built or checked once at the end, which
is much faster than maintaining them row by row (above all the GIN trigram index).
"""

import datetime
import itertools
import random
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from bench.names import KNOWN, company_name
from crm.models import Company, IndustryCode, Municipality
from crm.models.search import add_words_sql

TABLE = "crm_company"
COLUMNS = [
    "cvr", "p_number", "name", "address", "postcode", "city", "municipality_id",
    "industry_code_id", "employees", "employees_known_on", "started_on", "segment",
    "growth_potential", "rural", "created_at", "status", "company_form", "employees_band",
    "industry_code_db07", "advertising_protected", "register_source",
]  # fmt: skip
# Relative number of companies by municipality code (the rest 1): the four big cities, and
# Viborg, the demo consultant's municipality, about its share of the register.
MUNICIPALITY_WEIGHTS = {"101": 6, "751": 4, "461": 2.5, "851": 2.5, "791": 1.6}
STREETS = ["Hovedgaden", "Industrivej", "Stationsvej", "Skolevej", "Kirkevej", "Møllevej",
           "Nørregade", "Søndergade", "Vestergade", "Østergade", "Havnevej", "Bygaden"]  # fmt: skip
CHUNK = 50_000


def cvr_numbers(count: int, start: int = 1_000_000):
    """Valid CVR numbers in ascending order from body ``start`` (check digit 10 is skipped)."""
    body = start
    while count:
        digits = str(body)
        check = -sum(w * int(d) for w, d in zip((2, 7, 6, 5, 4, 3, 2), digits, strict=True)) % 11
        if check < 10:
            yield digits + str(check)
            count -= 1
        body += 1


@dataclass
class Choices:
    """What a generated company draws from (read before the COPY: the connection is busy
    while it runs)."""

    municipality_ids: list[int]
    municipality_weights: list[float]
    industry_ids: list[int]

    @classmethod
    def read(cls) -> "Choices":
        municipalities = list(Municipality.objects.values_list("pk", "code"))
        return cls(
            [pk for pk, _ in municipalities],
            [MUNICIPALITY_WEIGHTS.get(code, 1) for _, code in municipalities],
            list(IndustryCode.objects.filter(system="DB25").values_list("pk", flat=True)),
        )


def company_lines(count: int, seed: int, choices: Choices):
    """COPY text-format lines (tab separated, \\N for NULL) of ``count`` companies."""
    rng = random.Random(seed)
    today = timezone.localdate()
    now = datetime.datetime.now(datetime.UTC).isoformat()
    municipalities = choices.municipality_ids
    cumulative = list(itertools.accumulate(choices.municipality_weights))
    for i, cvr in enumerate(cvr_numbers(count)):
        name = KNOWN[i] if i < len(KNOWN) else company_name(rng)
        municipality = rng.choices(municipalities, cum_weights=cumulative)[0]
        employees = rng.choice("1111122223345678") if rng.random() < 0.9 else "\\N"
        started = today - datetime.timedelta(days=rng.randrange(30, 40 * 365))
        yield (
            f"{cvr}\t\t{name}\t{rng.choice(STREETS)} {rng.randrange(1, 200)}\t"
            f"{rng.randrange(1000, 9990)}\t\t{municipality}\t{rng.choice(choices.industry_ids)}\t"
            f"{employees}\t\\N\t{started}\t\t\tf\t{now}\tactive\t\t\t\tf\t\n"
        )


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that no constraint owns."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s
               AND indexname NOT IN (SELECT conname FROM pg_constraint)""",
            [table],
        )
        return cursor.fetchall()


def foreign_keys(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's foreign keys."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'""",
            [table],
        )
        return cursor.fetchall()


NAMED_TABLES = {"crm_company", "crm_founder"}  # with a search_name and a word trigger


def copy_table(table: str, columns: list[str], lines) -> dict[str, float]:
    """Replace every row of ``table`` (and, by CASCADE, of the tables that refer to it) with
    ``lines`` (COPY text format), in one transaction: a failed load leaves the tables and
    their indexes as they were. Returns the seconds of each step."""
    seconds, started = {}, time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        indexes, keys = secondary_indexes(table), foreign_keys(table)
        cursor.execute(f"TRUNCATE {table} CASCADE")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for name, _ in keys:  # checked once for the whole table when added back
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # no pghistory rows
        copy_lines(cursor, table, columns, lines)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        if table in NAMED_TABLES:  # what their collect_search_words trigger would have added
            cursor.execute(add_words_sql("search_name", table))
        seconds["copy"] = time.perf_counter() - started
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        seconds["indexes, keys"] = time.perf_counter() - started - seconds["copy"]
    with connection.cursor() as cursor:  # VACUUM cannot run in a transaction
        cursor.execute(f"VACUUM (ANALYZE) {table}")  # hint bits, visibility map, statistics
    seconds["total"] = time.perf_counter() - started
    seconds["vacuum"] = seconds["total"] - seconds["copy"] - seconds["indexes, keys"]
    return seconds


def load_companies(count: int, seed: int = 1) -> dict[str, float]:
    """Replace every company with ``count`` generated ones; returns the seconds of each step.
    Everything that refers to a company (sessions, referrals, ...) goes with them."""
    return copy_table(TABLE, COLUMNS, company_lines(count, seed, Choices.read()))


def copy_lines(cursor, table: str, columns: list[str], lines) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == CHUNK:
                copy.write("".join(chunk))
                chunk = []
        copy.write("".join(chunk))


def company_count() -> int:
    return Company.objects.count()
