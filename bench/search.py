"""Time the company search of ``crm.queries`` against the search it replaced.

Each query runs for two users: a consultant of one municipality (Viborg) and a triage user of
the hub (19 municipalities). Variants run round-robin, so background load hits them alike.

- ``current``: ``crm.queries.search_companies``: every word of the text (3+ letters) as a
  substring, a misspelt word corrected against ``SearchWord`` first.
- ``before``: the search it replaced: the whole text as a substring, and only when that does not
  fill a page, pg_trgm word similarity (``%>``, threshold 0.5) against every name.
"""

import os
import statistics
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from crm.models import Company, Membership, Municipality, Operator, SearchWord
from crm.models.records import folded
from crm.queries import DIGITS, SEARCH_LIMIT, search_companies
from crm.services import do_add_membership, do_set_operator_municipalities

TEXTS = [
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
    """``crm.queries.search_companies`` before ``SearchWord``: the whole text as a substring,
    then names word-similar to the whole text."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Company.objects.visible_to(user).select_related("municipality")
    if digits.isdigit() and len(digits) in (8, 10):
        return list(visible.filter(cvr=digits)) + list(visible.filter(p_number=digits))
    needle = folded(Value(text))
    rank = TrigramWordSimilarity(needle, "search_name")
    found = list(
        visible.filter(search_name__contains=needle)
        .annotate(rank=rank)
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )
    if len(found) < SEARCH_LIMIT:
        with connection.cursor() as cursor:
            cursor.execute("SET pg_trgm.word_similarity_threshold = 0.5")
        found += list(
            visible.filter(search_name__trigram_word_similar=needle)
            .exclude(pk__in=[row.pk for row in found])
            .annotate(rank=rank)
            .order_by("-rank", "name")[: SEARCH_LIMIT - len(found)]
        )
    return found


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
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if 'FROM "crm_company"' in query["sql"] or 'FROM "crm_searchword"' in query["sql"]:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                lines += [row[0] for row in cursor.fetchall()]
    return "\n".join(lines)


def plan_summary(text: str) -> str:
    """The lines that show which index answered, how many rows were read, and the time."""
    keep = ("Index Scan", "Heap Scan", "BitmapAnd", "BitmapOr", "Heap Blocks", "Execution Time")
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
            current = result["current"]
            summary.append(
                (f"search: {text!r}, {scope.label}", f"{current['median']:.1f} ms", "< 30 ms")
            )
            line = f"{label + ': ' + repr(text):<34} {scope.label:<20} {current['rows']:>4}"
            for name in VARIANTS:
                line += f" {result[name]['median']:>13.1f} {result[name]['p95']:>6.1f}"
            print(line + f"  {'yes' if result['before']['same'] else 'no'}")
    print(f"(load average after: {', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    print_plans(scopes, texts, full_plans)
    return summary


def print_plans(scopes: list[Scope], texts, full: bool) -> None:
    for label, text in texts:
        for scope in scopes:
            text_plan = plan(search_companies, scope.user, text)
            print(f"\n-- current, {scope.label}, {label}: {text!r}")
            print(text_plan if full else plan_summary(text_plan))
