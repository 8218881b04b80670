"""Time the company search of ``crm.queries`` against the search it replaced.

Each query runs for two users: a consultant of one municipality (Viborg) and a triage user of
the hub (19 municipalities). Variants run round-robin, so background load hits them alike.

- ``current``: ``crm.queries.search_companies``: every word of the text (3+ letters) as a
  substring, a misspelt word corrected against ``SearchWord`` first; the closest names of a
  common word read in rank order from the GiST index (KNN), few matches ranked from the GIN
  index.
- ``before``: the reference, the search it replaced (issue 12): the same words and spellings,
  every match found through the GIN index and all of them ranked.

The results table gets the p95 of each query for the hub user (goal < 30 ms), with the
reference's p95 beside it, and the p95 of correcting a misspelt word (goal < 5 ms).
"""

import os
import statistics
import time
from contextlib import nullcontext
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Q, Value
from django.test.utils import CaptureQueriesContext

from crm.models import Company, Membership, Municipality, Operator, SearchWord
from crm.models.search import MIN_WORD
from crm.models.subjects import folded
from crm.queries import (
    DIGITS,
    MAX_WORDS,
    SEARCH_LIMIT,
    every_word,
    in_index_order,
    search_companies,
    spellings_of,
)
from crm.services import do_add_membership, do_set_operator_municipalities

TEXTS = [
    ("common surname", "jensen"),
    ("common surname", "hansen"),
    ("common surname", "nielsen"),
    ("company form", "aps"),
    ("æ/ø/å spelled out", "oestergaard"),
    ("typo, Danish letter", "østergard"),
    ("typo, two words", "vestas wnid"),
    ("two common words", "Jensen Tømrer"),
    ("short word", "kro"),
]


@dataclass
class Scope:
    label: str
    user: object


def bench_users() -> list[Scope]:
    """A consultant of Viborg's local service and a triage user of the hub, made through
    the services as the demo makes them."""
    users = get_user_model().objects
    viborg = Municipality.objects.get(code="791")
    local, _ = Operator.objects.get_or_create(
        name="Viborgegnens Erhvervsråd", defaults={"kind": Operator.Kind.LOCAL}
    )
    do_set_operator_municipalities(local, [viborg])
    hub = Operator.objects.get(name="Erhvervshus Midtjylland")
    consultant, _ = users.get_or_create(username="bench-viborg")
    do_add_membership(consultant, local, Membership.Role.CONSULTANT)
    triage, _ = users.get_or_create(username="bench-hub")
    do_add_membership(triage, hub, Membership.Role.TRIAGE)
    return [
        Scope("Viborg (1 kommune)", consultant),
        Scope(f"hub ({hub.municipalities.count()} kommuner)", triage),
    ]


# --- The search it replaced -----------------------------------------------------------------


def search_before(user, text: str) -> list:
    """``crm.queries.search_companies`` before the GiST index: every match of every word (as
    spelled) found through the GIN index, all ranked, then the first page."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Company.objects.visible_to(user).select_related("municipality")
    if digits.isdigit() and len(digits) in (8, 10):
        return list(visible.filter(cvr=digits)) + list(visible.filter(p_number=digits))
    needle = folded(Value(text))
    words = [word for word in text.split() if len(word) >= MIN_WORD][:MAX_WORDS]
    if not words:
        condition = Q(search_name=needle)
    else:
        spellings = [found for word in words if (found := spellings_of(word))]
        if not spellings:
            return []
        condition = every_word(spellings, "search_name")
    return list(
        visible.filter(condition)
        .annotate(rank=TrigramWordSimilarity(needle, "search_name"))
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )


VARIANTS = {"current": search_companies, "before": search_before}


# --- Measuring -------------------------------------------------------------------------------


def timed(search, user, text) -> tuple[float, list[str]]:
    """Milliseconds of one search, and the names it found in order (rows with the same name
    and rank may come in any order, so names, not ids, tell whether two pages agree)."""
    started = time.perf_counter()
    names = [company.name for company in search(user, text)]
    return (time.perf_counter() - started) * 1000, names


def measure(scope: Scope, text: str, runs: int) -> dict[str, dict]:
    """Median and 95th percentile (ms) of each variant, round-robin after three warm-ups."""
    samples = {name: [] for name in VARIANTS}
    results = {}
    for run in range(runs + 3):
        for name, search in VARIANTS.items():
            ms, names = timed(search, scope.user, text)
            results[name] = names
            if run >= 3:
                samples[name].append(ms)
    return {
        name: {
            "median": statistics.median(values),
            "p95": statistics.quantiles(values, n=20)[18],
            "rows": len(results[name]),
            "same": results[name] == results["current"],
        }
        for name, values in samples.items()
    }


def plan(search, user, text: str) -> str:
    """EXPLAIN ANALYZE of the company queries ``search`` runs (it may run several, and
    return a list rather than a queryset)."""
    with CaptureQueriesContext(connection) as captured:
        list(search(user, text))
    lines = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("EXPLAIN") or sql.startswith(("SET", "RESET")):
            continue  # crm.queries.many's estimate, in_index_order's settings
        if 'FROM "crm_company"' in sql or 'FROM "crm_searchword"' in sql:
            # The KNN query under the settings the search runs it with.
            knn = 'LOWER("crm_company"."search_name") LIKE' in sql
            with in_index_order() if knn else nullcontext(), connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines += [row[0] for row in cursor.fetchall()]
    return "\n".join(lines)


def plan_summary(text: str) -> str:
    """The lines that show which index answered, how many rows were read, and the time."""
    keep = (
        "Index Scan",
        "Heap Scan",
        "BitmapAnd",
        "BitmapOr",
        "Heap Blocks",
        "Seq Scan",
        "Execution Time",
    )
    return "\n".join(line for line in text.splitlines() if any(k in line for k in keep))


def run(runs: int, full_plans: bool = False) -> list[tuple]:
    """Print the comparison; returns the current search's medians for the summary table."""
    scopes = bench_users()
    cvr = Company.objects.filter(municipality__code="791").values_list("cvr", flat=True).first()
    texts = [*TEXTS, ("CVR number", cvr)]
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"\nCompany search, {Company.objects.count():,} companies, "
        f"{SearchWord.objects.count():,} known words, {runs} runs per cell (ms)"
    )
    print(f"(load average before: {load}; other processes on the machine skew the times)")
    header = f"{'query':<34} {'scope':<20} {'rows':>4}"
    for name in VARIANTS:
        header += f" {name + ' med':>13} {'p95':>6}"
    print(header + "  same page")
    print("-" * len(header + "  same page"))
    summary = []
    for label, text in texts:
        for scope in scopes:
            result = measure(scope, text, runs)
            current, before = result["current"], result["before"]
            summary.append(
                (
                    f"search: {text!r}, {scope.label}",
                    f"p95 {current['p95']:.1f} ms (before {before['p95']:.1f} ms)",
                    "p95 < 30 ms",
                )
            )
            line = f"{label + ': ' + repr(text):<34} {scope.label:<20} {current['rows']:>4}"
            for name in VARIANTS:
                line += f" {result[name]['median']:>13.1f} {result[name]['p95']:>6.1f}"
            print(line + f"  {'yes' if result['before']['same'] else 'no'}")
    print(f"(load average after: {', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    print_plans(scopes, texts, full_plans)
    return summary + [spelling_row(MISSPELT, runs)]


MISSPELT = "tømrr"  # "tømrer"


def spelling_row(word: str, runs: int) -> tuple:
    """p95 of correcting a misspelt word (``crm.queries.spellings_of``) after three warm-ups."""
    samples = []
    for run in range(runs + 3):
        started = time.perf_counter()
        spellings_of(word)
        if run >= 3:
            samples.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(samples, n=20)[18]
    return (f"misspelt word {word!r} corrected", f"p95 {p95:.2f} ms", "p95 < 5 ms")


def print_plans(scopes: list[Scope], texts, full: bool) -> None:
    for label, text in texts:
        for scope in scopes:
            text_plan = plan(search_companies, scope.user, text)
            print(f"\n-- current, {scope.label}, {label}: {text!r}")
            print(text_plan if full else plan_summary(text_plan))
