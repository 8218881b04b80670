"""The contract dashboard at scale (issue 12): its number of queries does not grow with the
contract's goals, snapshot dates or municipalities, the snapshots are read through their
index, and what it shows of them is what the snapshots say (the newest date's cells, the
history of the total or of one municipality)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Contract, Goal, GoalTarget, Snapshot
from contracts.services import latest_snapshots
from crm.models import Membership, Municipality
from reporting import charts
from reporting.queries import goal_history
from tests.conftest import make_member
from tests.counting import count_queries

pytestmark = pytest.mark.django_db
D = datetime.date
# Indicators whose numbers link to their rows (``reporting.rows.ROW_LINKS``): the links are
# built for every cell of a user who may see the rows.
LINKED = ["companies_contacted", "sessions", "referrals", "projects", "enrolments", "hours"]


def make_contract(title: str, party, municipalities, *, goals: int) -> Contract:
    """A 2025 contract of ``party`` over ``municipalities``: ``goals`` computed goals (a
    count goal with a pace chart among them), a milestone and an externally reported goal
    with a target per municipality."""
    contract = Contract.objects.create(
        kind="performance",
        title=title,
        starts_on=D(2025, 1, 1),
        ends_on=D(2025, 12, 31),
        status="active",
    )
    contract.municipalities.set(municipalities)
    contract.parties.set([party])
    Goal.objects.bulk_create(
        Goal(
            contract=contract,
            number=str(n + 1),
            title=f"Mål {n + 1}",
            indicator=LINKED[n % len(LINKED)],
            target=10 * (n + 1),
        )
        for n in range(goals)
    )
    Goal.objects.create(contract=contract, number="M", title="Milepæl", is_milestone=True)
    external = Goal.objects.create(
        contract=contract, number="E", title="Kendskab", target_kind="share", target=70
    )
    GoalTarget.objects.bulk_create(
        GoalTarget(goal=external, municipality=m, target=60) for m in municipalities
    )
    return contract


def snapshot(contract: Contract, dates) -> None:
    """Snapshots of every computed goal on ``dates``: the total and each municipality."""
    municipalities = [None, *contract.municipalities.all()]
    Snapshot.objects.bulk_create(
        Snapshot(
            goal=goal,
            as_of=day,
            municipality=municipality,
            value=Decimal(day.month + n),
            target=goal.target,
            status=Snapshot.Status.ON_TRACK,
        )
        for n, goal in enumerate(g for g in contract.goals.all() if g.is_computed)
        for day in dates
        for municipality in municipalities
    )


def month_ends(months: int) -> list[datetime.date]:
    return [D(2025, m + 1, 1) - datetime.timedelta(days=1) for m in range(1, months + 1)]


@pytest.fixture
def hub_user(world):
    """A consultant of the hub: sees the records of all its municipalities, so the dashboard
    builds a link for every number (the most work it does per cell)."""
    return make_member(world.hub, Membership.Role.CONSULTANT)


@pytest.fixture
def small(world):
    contract = make_contract("Lille", world.hub, [world.home], goals=1)
    snapshot(contract, month_ends(1))
    return contract


@pytest.fixture
def large(world):
    municipalities = list(world.hub.municipalities.all())
    contract = make_contract("Stor", world.hub, municipalities, goals=12)
    snapshot(contract, month_ends(11))
    return contract


def dashboard_queries(client, contract, params=None) -> tuple[int, object]:
    url = reverse("contract-dashboard", args=[contract.pk])
    client.get(url, params)  # caches that fill once per process (content types) are filled
    return count_queries(client, url, params)


@pytest.mark.parametrize(
    "params",
    [None, {"municipality": "791", "start": "2025-03-01", "end": "2025-06-30"}],
    ids=["whole contract", "one municipality and a period"],
)
def test_the_dashboard_queries_do_not_grow_with_goals_dates_or_municipalities(
    world, hub_user, small, large, params
):
    client = world.client_for(hub_user)

    few, small_page = dashboard_queries(client, small, params)
    many, large_page = dashboard_queries(client, large, params)

    assert len(large_page.context["tiles"]) == 12 and len(small_page.context["tiles"]) == 1
    assert all(tile["url"] for tile in large_page.context["tiles"])  # links were built
    if params is None:
        assert len(large_page.context["municipalities"]) == world.hub.municipalities.count()
    assert many == few, f"{few} queries for 1 goal, {many} for 12 goals"


def test_the_dashboard_shows_the_snapshots_as_they_are_stored(world, hub_user, large):
    """The cells are the newest date's rows (as ``latest_snapshots`` reads them), the tiles'
    history the total's or one municipality's values in the period (``goal_history``); a
    goal without a snapshot on the newest date shows none."""
    late = Goal.objects.create(
        contract=large, number="L", title="Sen", indicator="sessions", target=5
    )
    Snapshot.objects.create(goal=late, as_of=D(2025, 3, 31), value=3, status="on_track")
    client = world.client_for(hub_user)
    url = reverse("contract-dashboard", args=[large.pk])
    for params, municipality in [
        ({}, None),
        ({"end": "2025-05-15"}, None),
        ({"municipality": world.home.code, "start": "2025-04-01"}, world.home),
    ]:
        page = client.get(url, params).context
        end = D.fromisoformat(params["end"]) if "end" in params else None
        start = D.fromisoformat(params["start"]) if "start" in params else None
        stored = {
            (snap.goal_id, snap.municipality_id): snap.value
            for snap in latest_snapshots(large, end)
        }
        history = goal_history(large, municipality=municipality, start=start, end=end)
        where = municipality.pk if municipality else None
        for tile in page["tiles"]:
            goal, snap = tile["goal"], tile["total"]
            assert (snap and snap.value) == stored.get((goal.pk, where)), (params, goal)
            values = [value for _day, value in history.get(goal.pk, [])]
            assert tile["sparkline"] == charts.sparkline(values, title=str(goal)), goal
        shown = {
            (goal.pk, m.pk): cell["snap"] and cell["snap"].value
            for goal, cells in page["rows"]
            for m, cell in zip(page["municipalities"], cells, strict=True)
        }
        assert shown == {key: stored.get(key) for key in shown}, params
        late_tile = next(tile for tile in page["tiles"] if tile["goal"] == late)
        assert late_tile["total"] is None  # its only snapshot is older than the newest date


# --- The plan of the snapshot query ---------------------------------------------------------


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_dashboard_reads_the_snapshots_through_their_index(world, hub_user, large):
    """With thousands of other snapshots (60 other contracts of a year's month ends) and
    fresh statistics, no query of the dashboard scans the snapshot table."""
    others = Municipality.objects.exclude(pk=world.home.pk)[:2]
    for n in range(60):
        other = make_contract(f"Anden {n}", world.hub, [world.home, *others], goals=6)
        snapshot(other, month_ends(11))
    assert Snapshot.objects.count() > 15_000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contracts_snapshot")
        cursor.execute("ANALYZE contracts_goal")
    client = world.client_for(hub_user)
    url = reverse("contract-dashboard", args=[large.pk])
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200

    reads = [q["sql"] for q in queries if re.search(r'FROM "contracts_snapshot"', q["sql"])]
    assert len(reads) == 1, reads  # cells and history in one read
    for sql in reads:
        assert "Seq Scan on contracts_snapshot" not in plan(sql), plan(sql)
