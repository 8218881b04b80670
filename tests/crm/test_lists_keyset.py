"""The lists page by keyset (crm.pagination): every row once in either direction, the last
page as cheap as the first, a tampered link opens the first page, filters survive paging,
and on a loaded database the list queries of a hub read indexes, not whole tables."""

import base64
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Company, GuidanceSession, Municipality
from crm.pagination import COUNT_CAP, PAGE_SIZE

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def companies(world, n: int, *, names: int = 7, municipality=None) -> list[Company]:
    """``n`` companies sharing ``names`` names, so the order has ties on the name."""
    return Company.objects.bulk_create(
        Company(
            cvr=f"{30000000 + i}",
            name=f"Firma {i % names}",
            municipality=municipality or world.home,
        )
        for i in range(n)
    )


def sessions(world, company, n: int, **fields) -> list[GuidanceSession]:
    """``n`` sessions of Viborg's local service, a few on each day (ties on the date)."""
    defaults = {"tier": GuidanceSession.Tier.LOCAL, "channel": GuidanceSession.Channel.VISIT}
    return GuidanceSession.objects.bulk_create(
        GuidanceSession(
            company=company,
            operator=world.local,
            municipality=world.home,
            created_by=world.consultant,
            date=TODAY - datetime.timedelta(days=i // 3),
            **{**defaults, **fields},
        )
        for i in range(n)
    )


def walk(client, url: str, params: dict, direction: str, start: dict | None = None):
    """The pages from ``start`` (the first page) on, following the ``direction`` cursors."""
    pages, query = [], {**params, **(start or {})}
    while True:
        page = client.get(url, query).context["page"]
        pages.append(page)
        cursor = getattr(page, f"{direction}_cursor")
        if cursor is None:
            return pages
        query = {**params, "after" if direction == "next" else "before": cursor}


def test_paging_forward_and_back_over_ties_lists_every_row_once(world):
    made = companies(world, 2 * PAGE_SIZE + 17)
    client = world.client_for(world.consultant)
    url = reverse("company-list")
    expected = [c.pk for c in sorted(made, key=lambda c: (c.name, c.pk))]

    forward = walk(client, url, {}, "next")
    backward = walk(client, url, {}, "previous", start={"page": "last"})

    assert [c.pk for page in forward for c in page] == expected
    assert [c.pk for page in reversed(backward) for c in page] == expected
    assert [page.start for page in forward] == [1, PAGE_SIZE + 1, 2 * PAGE_SIZE + 1]
    assert forward[-1].label == f"Viser {2 * PAGE_SIZE + 1}–{len(made)} af {len(made)}"


def test_the_last_page_costs_the_queries_of_the_first(world):
    companies(world, 3 * PAGE_SIZE)
    client = world.client_for(world.consultant)
    url = reverse("company-list")
    client.get(url)  # caches that fill once per process

    counts = []
    for params in ({}, {"page": "last"}):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url, params).context["page"]
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not page.has_next() and page.has_previous()
    assert 'rel="last"' in client.get(url).text


def cursor(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "tampered",
    [
        "not base64 at all!",
        cursor("a string"),
        cursor({"v": ["Firma 1"], "n": 1}),  # one value for a key of two
        cursor({"v": ["Firma 1", "drop table"], "n": 1}),  # not an id
        cursor({"v": [None, 5], "n": 1}),  # NULL where the name cannot be
        cursor({"v": [["Firma"], 5], "n": 1}),
        cursor({"v": ["Firma 1", 5], "n": "one"}),
    ],
)
def test_a_tampered_cursor_opens_the_first_page(world, tampered):
    companies(world, PAGE_SIZE + 5)
    client = world.client_for(world.consultant)
    url = reverse("company-list")
    first = [c.pk for c in client.get(url).context["page"]]

    for name in ("after", "before"):
        response = client.get(url, {name: tampered})
        assert response.status_code == 200
        assert [c.pk for c in response.context["page"]] == first


def test_the_filters_survive_paging(world, company):
    sessions(world, company, PAGE_SIZE + 10, tier=GuidanceSession.Tier.FOCUSED)
    sessions(world, company, PAGE_SIZE + 10)
    client = world.client_for(world.consultant)
    url = reverse("session-list")
    params = {"tier": GuidanceSession.Tier.FOCUSED}

    first = client.get(url, params)
    following = first.context["page"].next_cursor
    assert f'href="?tier=focused&amp;after={following}"' in first.text
    pages = walk(client, url, params, "next")

    listed = [s for page in pages for s in page]
    assert len(listed) == PAGE_SIZE + 10 == len({s.pk for s in listed})
    assert {s.tier for s in listed} == {GuidanceSession.Tier.FOCUSED}


# --- The plans on a loaded database --------------------------------------------------------


def seq_scans(plan: dict) -> set[str]:
    found = {plan["Relation Name"]} if plan["Node Type"] == "Seq Scan" else set()
    for child in plan.get("Plans", []):
        found |= seq_scans(child)
    return found


def list_statements(client, url: str, table: str, params=None) -> list[str]:
    """The statements of one request that read ``table`` (the page and its count; the count
    stops at COUNT_CAP rows, so a scan that ends early is as good as an index there)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]


def load_national_shape(world, n_companies: int = 20_000, n_sessions: int = 40_000) -> None:
    """Companies in every municipality, sessions of many operators: a hub's own sessions
    are a few per cent of those in its municipalities, as at national volume."""
    municipalities = list(Municipality.objects.all())
    with connection.cursor() as cursor:  # no history or search-word triggers: load, not use
        cursor.execute("SET LOCAL session_replication_role = replica")
    made = Company.objects.bulk_create(
        (
            Company(
                cvr=f"{40000000 + i}",
                name=f"Firma {i:05d}",
                municipality=municipalities[i % len(municipalities)],
            )
            for i in range(n_companies)
        ),
        batch_size=5000,
    )
    operators = [world.hub, world.local, world.other_local]
    GuidanceSession.objects.bulk_create(
        (
            GuidanceSession(
                company=made[i % n_companies],
                operator=operators[0 if i % 25 == 0 else 1 + i % 2],
                municipality=made[i % n_companies].municipality,
                created_by=world.consultant,
                date=TODAY - datetime.timedelta(days=i % 700),
                tier=GuidanceSession.Tier.LOCAL,
                channel=GuidanceSession.Channel.VISIT,
            )
            for i in range(n_sessions)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cursor.execute("ANALYZE crm_company")
        cursor.execute("ANALYZE crm_guidancesession")


def test_the_hub_lists_read_indexes_on_a_loaded_database(world):
    load_national_shape(world)
    client = world.client_for(world.triage)
    lists = [
        ("company-list", "crm_company"),
        ("session-list", "crm_guidancesession"),
    ]
    for name, table in lists:
        for params in ({}, {"page": "last"}):
            statements = list_statements(client, reverse(name), table, params)
            counts = [sql for sql in statements if "COUNT(*)" in sql]
            pages = [sql for sql in statements if "ORDER BY" in sql and sql not in counts]
            assert counts and all(f"LIMIT {COUNT_CAP + 1}" in sql for sql in counts), counts
            assert pages, (name, statements)
            for sql in pages:
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                    plan = cursor.fetchone()[0][0]["Plan"]
                assert not seq_scans(plan) & {"crm_company", "crm_guidancesession"}, (
                    name,
                    params,
                    json.dumps(plan, indent=1),
                )
