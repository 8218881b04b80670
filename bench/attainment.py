"""Goal attainment at national volume: ``contracts.services.compute_attainment`` against a
hand-written SQL pass that computes the same numbers.

The hand-written pass is one statement per goal: the rows of the goal's source table in the
period and the contract's municipalities, one ``GROUP BY GROUPING SETS ((municipality), ())``
(per municipality and the total in the same scan) with ``FILTER`` counters. Both passes run
round-robin after a warm-up, so the cache is as warm for one as for the other; every number of
both passes is compared. The definitions follow ``contracts.indicators``: "guided" is a full
session (``guided_in``), and "Ved ikke" (unknown) is left out of every survey share.
"""

import datetime
import statistics
import time
from collections import defaultdict
from contextlib import nullcontext
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import national
from contracts import indicators
from contracts.models import Contract, Goal, Snapshot
from contracts.services import compute_attainment

AS_OF = datetime.date(2022, 12, 31)
TARGET_RATIO = 1.5


# --- The hand-written pass -------------------------------------------------------------------

SESSIONS = """
    FROM crm_guidancesession s
    WHERE s.date BETWEEN %(start)s AND %(end)s AND s.municipality_id = ANY(%(ids)s)
      AND s.operator_id = ANY(%(operators)s) AND s.company_id IS NOT NULL AND s.kind = 'full'"""
EVALUATIONS = """
    FROM contracts_evaluation e
    WHERE e.answered_on BETWEEN %(start)s AND %(end)s AND e.municipality_id = ANY(%(ids)s)
      AND e.operator_id = ANY(%(operators)s)"""
REFERRALS = f"""
    FROM referrals_referral r LEFT JOIN referrals_adviser a ON a.id = r.target_adviser_id
    WHERE (r.sent_at AT TIME ZONE '{settings.TIME_ZONE}')::date BETWEEN %(start)s AND %(end)s
      AND r.municipality_id = ANY(%(ids)s) AND r.state <> 'withdrawn'
      AND r.sender_operator_id = ANY(%(operators)s)"""
GROUPED = "GROUP BY GROUPING SETS ((municipality_id), ())"


def evaluation_filters(params: dict) -> str:
    where = ""
    if params.get("segment"):
        where += " AND e.segment = %(segment)s"
    if params.get("themes"):
        where += " AND e.themes && %(themes)s::varchar[]"
    return where


def hand_sql(goal: Goal) -> tuple[str, str]:
    """(SQL, shape) of the goal: shape is count, share or nps (the columns after the
    municipality)."""
    params = goal.params
    match goal.indicator:
        case "new_companies_share":
            return (
                "WITH earlier AS (SELECT DISTINCT s.company_id FROM crm_guidancesession s "  # noqa: S608
                "WHERE s.date BETWEEN "
                "%(before_start)s AND %(before_end)s AND s.operator_id = ANY(%(operators)s) "
                "AND s.company_id IS NOT NULL AND s.kind = 'full') "
                "SELECT s.municipality_id, "
                "count(DISTINCT s.company_id) FILTER (WHERE earlier.company_id IS NULL), "
                "count(DISTINCT s.company_id) "
                + SESSIONS.replace("WHERE", "LEFT JOIN earlier USING (company_id) WHERE")
                + " GROUP BY GROUPING SETS ((s.municipality_id), ())",
                "share",
            )
        case "companies_guided":
            return (
                f"SELECT municipality_id, count(DISTINCT company_id) {SESSIONS} {GROUPED}",
                "count",
            )
        case "municipalities_reached":
            return (
                f"SELECT municipality_id, count(DISTINCT municipality_id) {SESSIONS} {GROUPED}",
                "count",
            )
        case "rural_share":
            return (
                "SELECT s.municipality_id, count(DISTINCT s.company_id) FILTER "
                "(WHERE m.rural_urban = 'rural'), count(DISTINCT s.company_id) "
                + SESSIONS.replace(
                    "WHERE", "JOIN crm_municipality m ON m.id = s.municipality_id WHERE"
                )
                + " GROUP BY GROUPING SETS ((s.municipality_id), ())",
                "share",
            )
        case "satisfaction_share":
            return (
                "SELECT municipality_id, count(*) FILTER (WHERE satisfaction = ANY(%(answers)s)), "
                f"count(*) {EVALUATIONS} AND satisfaction NOT IN ('', 'unknown')"
                f"{evaluation_filters(params)} {GROUPED}",
                "share",
            )
        case "nps":
            return (
                "SELECT municipality_id, count(*) FILTER (WHERE nps >= 9), "
                "count(*) FILTER (WHERE nps <= 6), count(*) "
                f"{EVALUATIONS} AND nps IS NOT NULL{evaluation_filters(params)} {GROUPED}",
                "nps",
            )
        case "effect_share":
            return (
                "SELECT municipality_id, count(*) FILTER (WHERE effect = 'high'), count(*) "
                f"{EVALUATIONS} AND effect NOT IN ('', 'unknown')"
                f"{evaluation_filters(params)} {GROUPED}",
                "share",
            )
        case "uptake_share":  # each referred subject once, with its latest answer
            return (
                "WITH latest AS (SELECT DISTINCT ON (r.company_id, r.founder_id) r.* "  # noqa: S608
                f"{REFERRALS} AND r.target_adviser_id IS NOT NULL "
                "AND r.uptake NOT IN ('', 'unknown') ORDER BY r.company_id, r.founder_id, "
                "r.uptake_recorded_at DESC, r.id DESC) "
                "SELECT municipality_id, count(*) FILTER (WHERE uptake IN ('used', 'expects')), "
                f"count(*) FROM latest {GROUPED}",
                "share",
            )
        case "referrals" if params == {"target": "design"}:
            return (
                f"SELECT municipality_id, count(*) {REFERRALS} AND a.kind = 'design' {GROUPED}",
                "count",
            )
    # The bench contracts use only the goals above; any other goal is a bench error.
    raise ValueError(f"the bench has no hand-written SQL for {goal.indicator} {params}")


def sql_params(goal: Goal, ids: list[int]) -> dict:
    start, end = goal.period
    end = min(end, AS_OF)
    return {
        "start": start,
        "end": end,
        "ids": ids,
        "operators": operator_ids(goal),
        "before_start": start - datetime.timedelta(days=365),
        "before_end": start - datetime.timedelta(days=1),
        "answers": list(goal.params.get("answers", ["very"])),
        "segment": goal.params.get("segment"),
        "themes": goal.params.get("themes"),
    }


def measure(shape: str, row) -> indicators.Measure:
    if shape == "count":
        return indicators.Measure.count(row[0])
    if shape == "share":
        return indicators.Measure.share(row[0], row[1])
    promoters, detractors, answers = row
    difference = Decimal(promoters - detractors)
    value = (difference * 100 / answers).quantize(Decimal("0.1")) if answers else None
    return indicators.Measure(value, difference, Decimal(answers))


def hand_goal(goal: Goal, ids: list[int]) -> dict:
    """{municipality id or None (total): Measure} of one goal, in one statement."""
    sql, shape = hand_sql(goal)
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params(goal, ids))
        rows = cursor.fetchall()
    zero = {"count": (0,), "share": (0, 0), "nps": (0, 0, 0)}[shape]
    found = {mid: row for mid, *row in rows}
    return {mid: measure(shape, found.get(mid, zero)) for mid in [None, *ids]}


def computed_goals(contract: Contract) -> list[Goal]:
    return [g for g in contract.goals.order_by("pk") if g.is_computed]


def hand_pass(contracts) -> dict:
    """{(goal id, municipality id or None): Measure} for every computed goal."""
    out = {}
    for contract, ids in contracts:
        for goal in computed_goals(contract):
            for mid, value in hand_goal(goal, ids).items():
                out[goal.pk, mid] = value
    return out


# --- Measuring -------------------------------------------------------------------------------


def with_ids(contracts: list[Contract]):
    return [(c, list(c.municipalities.values_list("pk", flat=True))) for c in contracts]


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def compute_all(contracts) -> None:
    for contract, _ in contracts:
        compute_attainment(contract, AS_OF)


def operator_ids(goal: Goal) -> list[int]:
    return [operator.pk for operator in goal.measured_operators()]


def per_goal(contracts) -> dict:
    """Per goal number, summed over the contracts: (indicator s, hand-written s, queries the
    indicator runs per contract)."""
    orm, hand, queries = defaultdict(float), defaultdict(float), {}
    for contract, ids in contracts:
        for goal in computed_goals(contract):
            key = (goal.number, goal.indicator)
            start, end = goal.period
            period = indicators.Period(start, min(end, AS_OF))
            with CaptureQueriesContext(connection) as captured:
                orm[key] += timed(
                    indicators.compute,
                    goal.indicator,
                    period,
                    ids,
                    operator_ids(goal),
                    goal.params,
                )
            queries[key] = len(captured)
            hand[key] += timed(hand_goal, goal, ids)
    return {key: (orm[key], hand[key], queries[key]) for key in orm}


def medians(contracts, runs: int, variants: dict) -> dict[str, float]:
    """Median seconds of each variant, run round-robin after one warm-up round."""
    samples = defaultdict(list)
    for run in range(runs + 1):
        for name, (context, function) in variants.items():
            with context():
                seconds = timed(function, contracts)
            if run:
                samples[name].append(seconds)
    return {name: statistics.median(values) for name, values in samples.items()}


def differences(contracts) -> tuple[int, list[str]]:
    """Compare every stored snapshot with the hand-written pass; (numbers compared, the ones
    that differ)."""
    hand = hand_pass(contracts)
    compared, differ = 0, []
    for contract, _ in contracts:
        for snap in Snapshot.objects.filter(goal__contract=contract, as_of=AS_OF).select_related(
            "goal"
        ):
            expected = hand[snap.goal_id, snap.municipality_id]
            got = (snap.value, snap.numerator, snap.denominator)
            want = (expected.value, expected.numerator, expected.denominator)
            compared += 1
            if got != want:
                differ.append(
                    f"{contract.title} goal {snap.goal.number} {snap.municipality_id}: "
                    f"{got} != {want}"
                )
    return compared, differ


def explain(contracts, number: str) -> str:
    """EXPLAIN ANALYZE of the indicator's queries and of the hand-written statement for goal
    ``number`` of the contract with the most municipalities."""
    contract, ids = max(contracts, key=lambda c: len(c[1]))
    goal = next(g for g in computed_goals(contract) if g.number == number)
    start, end = goal.period
    period = indicators.Period(start, min(end, AS_OF))
    with CaptureQueriesContext(connection) as captured:
        indicators.compute(goal.indicator, period, ids, operator_ids(goal), goal.params)
    out = [f"-- goal {number} ({goal.indicator}), {contract.title}, {len(ids)} municipalities"]
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            out += ["-- indicator query:", query["sql"], *[row[0] for row in cursor.fetchall()]]
        hand, _ = hand_sql(goal)
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {hand}", sql_params(goal, ids))
        out += ["-- hand-written:", *[row[0] for row in cursor.fetchall()]]
    return "\n".join(out)


def run(runs: int = 3, explain_goals=()) -> list[tuple]:
    """Print the comparison; returns rows for the summary table."""
    contracts = with_ids(national.contracts())
    goals = sum(len(computed_goals(c)) for c, _ in contracts)
    municipalities = sum(len(ids) for _, ids in contracts)
    print(
        f"\nGoal attainment: {len(contracts)} contracts, {goals} computed goals, "
        f"{municipalities} municipalities, as of {AS_OF}; median of {runs} runs, round-robin"
    )
    as_is = medians(contracts, runs, {"compute": (nullcontext, compute_all),
                                      "hand": (nullcontext, hand_pass)})  # fmt: skip
    compared, differ = differences(contracts)
    ratio = as_is["compute"] / as_is["hand"]
    print(f"  compute_attainment (all contracts)   {as_is['compute']:8.2f} s")
    print(f"  hand-written SQL pass                {as_is['hand']:8.2f} s")
    print(f"  ratio compute / hand-written         {ratio:8.2f}x (target <= {TARGET_RATIO}x)")
    print(f"  numbers compared: {compared}, differing: {len(differ)}")
    for line in differ[:20]:
        print("   ", line)
    print_per_goal(per_goal(contracts))
    rows = [
        ("attainment: compute_attainment, 6 contracts", f"{as_is['compute']:.2f} s", ""),
        ("attainment: hand-written SQL pass", f"{as_is['hand']:.2f} s", ""),
        ("attainment: ratio", f"{ratio:.2f}x", verdict(ratio)),
        ("attainment: numbers agree", f"{compared - len(differ)}/{compared}", "all"),
    ]
    for number in explain_goals:
        print()
        print(explain(contracts, number))
    return rows


def verdict(ratio: float) -> str:
    return f"<= {TARGET_RATIO}x " + ("ok" if ratio <= TARGET_RATIO else "MISSED")


def print_per_goal(timings: dict) -> None:
    print(
        f"\n  {'goal':<5} {'indicator':<24} {'queries':>7} {'indicator s':>11} "
        f"{'hand s':>8} {'ratio':>6}   (one run, summed over the contracts)"
    )
    for (number, indicator), (orm, hand, count) in timings.items():
        print(
            f"  {number:<5} {indicator:<24} {count:>7} {orm:>11.3f} {hand:>8.3f} "
            f"{orm / hand if hand else 0:>6.1f}"
        )
