"""Time the company search of ``crm.queries`` against the alternatives prototyped here.

Each query runs for two users: a consultant of one municipality (Viborg) and a triage user of
the hub (19 municipalities). Variants run round-robin, so background load hits them alike.

- ``current``: ``crm.queries.search_companies`` as it is.
- ``ids``: the same query with the user's municipalities read first and passed as constants,
  so PostgreSQL can AND the trigram bitmap with the municipality index before reading rows.
- ``ids+like``: as ``ids``, but the substring match (LIKE) runs alone first, and the
  word-similarity match only when that does not fill a page with whole-word matches; the two
  are merged in the same order, so the page is the same as ``current``'s.
- ``ids+words``: as ``ids+like``, but a typo is corrected word by word against a table of the
  distinct words of all names (built here, dropped at the end) and matched by substring again;
  its pages may differ from ``current``'s (other typo semantics).
"""

import os
import statistics
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Q, Value
from django.test.utils import CaptureQueriesContext

from crm.models import Company, Membership, Municipality, Operator
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


# --- Prototypes ------------------------------------------------------------------------------


def visible_ids(user) -> list[int]:
    return list(Municipality.objects.for_user(user, "view_records").values_list("pk", flat=True))


def by_name(queryset, needle, condition):
    return (
        queryset.filter(condition)
        .annotate(rank=TrigramWordSimilarity(needle, "search_name"))
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )


def search_with_ids(user, text: str, *, fallback=None):
    """``search_companies`` with the user's municipalities as constants; with a ``fallback``,
    the substring match runs alone first and the fallback only when that does not fill a page
    with whole-word matches (rank 1, which nothing outranks); the two merge in the same order."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Company.objects.filter(municipality__in=visible_ids(user)).select_related(
        "municipality"
    )
    if digits.isdigit() and len(digits) in (8, 10):
        return visible.filter(Q(cvr=digits) | Q(p_number=digits))[:SEARCH_LIMIT]
    needle = folded(Value(text))
    contains = Q(search_name__contains=needle)
    if fallback is None:
        return by_name(visible, needle, contains | Q(search_name__trigram_word_similar=needle))
    exact = list(by_name(visible, needle, contains))
    if len(exact) == SEARCH_LIMIT and exact[-1].rank == 1:
        return exact
    more = fallback(visible.exclude(pk__in=[c.pk for c in exact]), text, needle)
    return sorted([*exact, *more], key=lambda c: (-c.rank, c.name))[:SEARCH_LIMIT]


def similar_names(visible, text: str, needle):
    """The names word-similar to the whole text (what ``current`` matches besides LIKE)."""
    return by_name(visible, needle, Q(search_name__trigram_word_similar=needle))


WORDS = "bench_company_word"


def create_word_table() -> None:
    """The distinct words of all company names, with a trigram index (the pg_trgm manual's
    advice for spelling correction): a typo is corrected against ~60k words, not 1M names."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {WORDS}")
        cursor.execute(
            "CREATE TABLE bench_company_word AS SELECT DISTINCT w AS word FROM crm_company, "
            r"regexp_split_to_table(search_name, '\s+') AS w WHERE length(w) >= 3"
        )
        cursor.execute(f"CREATE INDEX ON {WORDS} USING gin (word gin_trgm_ops)")
        cursor.execute(f"ANALYZE {WORDS}")


def drop_word_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {WORDS}")


def fold(text: str) -> str:
    """``crm.models.records.folded`` in Python."""
    return text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")


def corrected_words(text: str) -> list[list[str]]:
    """Per word of ``text``: the word if some name has it, else the known words most similar
    to it (within 0.15 of the best); words with no similar known word are left out."""
    words = [w for w in fold(text).split() if len(w) >= 3]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.q, x.word, x.score FROM unnest(%s::text[]) AS w(q) CROSS JOIN LATERAL "
            "(SELECT word, similarity(word, w.q) AS score FROM bench_company_word "
            "WHERE word %% w.q ORDER BY score DESC LIMIT 3) AS x",
            [words],
        )
        found: dict[str, list[tuple[str, float]]] = {}
        for word, known, score in cursor.fetchall():
            found.setdefault(word, []).append((known, score))
    return [
        [known for known, score in found[w] if score >= found[w][0][1] - 0.15]
        for w in words
        if w in found
    ]


def corrected_names(visible, text: str, needle):
    """The names holding every corrected word (a substring match, like the first step)."""
    words = corrected_words(text)
    if not words:
        return []
    condition = Q()
    for alternatives in words:
        any_of = Q()
        for word in alternatives:
            any_of |= Q(search_name__contains=word)
        condition &= any_of
    return by_name(visible, needle, condition)


VARIANTS = {
    "current": search_companies,
    "ids": search_with_ids,
    "ids+like": lambda user, text: search_with_ids(user, text, fallback=similar_names),
    "ids+words": lambda user, text: search_with_ids(user, text, fallback=corrected_names),
}


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
            if 'FROM "crm_company"' in query["sql"]:
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
    create_word_table()
    try:
        return compare(scopes, runs, full_plans)
    finally:
        drop_word_table()


def compare(scopes: list[Scope], runs: int, full_plans: bool) -> list[tuple]:
    cvr = Company.objects.filter(municipality__code="791").values_list("cvr", flat=True).first()
    texts = [*TEXTS, ("CVR number", cvr)]
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\nCompany search, {Company.objects.count():,} companies, {runs} runs per cell (ms)")
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
            summary.append(
                (f"search: {text!r}, {scope.label}", f"{result['current']['median']:.1f} ms", "")
            )
            line = (
                f"{label + ': ' + repr(text):<34} {scope.label:<20} {result['current']['rows']:>4}"
            )
            for name in VARIANTS:
                line += f" {result[name]['median']:>13.1f} {result[name]['p95']:>6.1f}"
            differ = [name for name, r in result.items() if not r["same"]]
            print(line + f"  {'differs: ' + ', '.join(differ) if differ else 'yes'}")
    print(f"(load average after: {', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    threshold_table(runs=max(runs // 5, 3))
    print_plans(scopes, texts, full_plans)
    return summary


THRESHOLD_TEXTS = ["oestergard", "vestas wnid", "jensen toemrer"]


def threshold_table(runs: int) -> None:
    """The word-similarity index scan alone (whole table) at three thresholds: what a higher
    ``pg_trgm.word_similarity_threshold`` buys, and which matches it loses."""
    print("\nWord-similarity scan (search_name %> text, all companies) by threshold, ms median")
    print(f"{'text':<16}" + "".join(f" {t:>16}" for t in ("0.6", "0.65", "0.7")))
    with connection.cursor() as cursor:
        for text in THRESHOLD_TEXTS:
            line = f"{text:<16}"
            for threshold in ("0.6", "0.65", "0.7"):
                cursor.execute(
                    "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [threshold]
                )
                samples = []
                for _ in range(runs):
                    started = time.perf_counter()
                    cursor.execute(
                        "SELECT count(*) FROM crm_company WHERE search_name %%> %s", [text]
                    )
                    found = cursor.fetchone()[0]
                    samples.append((time.perf_counter() - started) * 1000)
                line += f" {statistics.median(samples):>7.1f} ({found:>5})"
            print(line)
        cursor.execute("RESET pg_trgm.word_similarity_threshold")
    print("(in brackets: rows matched; 'vestas wnid' scores 0.67 against 'vestas wind ...')")


def print_plans(scopes: list[Scope], texts, full: bool) -> None:
    hub = scopes[-1]
    print(f"\nEXPLAIN ANALYZE, current search, {hub.label}: 'oestergaard'")
    print(plan(search_companies, hub.user, "oestergaard"))
    for label, text in texts:
        for scope in scopes:
            for name in ("current", "ids"):
                text_plan = plan(VARIANTS[name], scope.user, text)
                print(f"\n-- {name}, {scope.label}, {label}: {text!r}")
                print(text_plan if full else plan_summary(text_plan))
