"""The query-count check every list page and list endpoint gets: the number of queries of one
request must not grow with the rows it lists."""

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def api_rows(response) -> int:
    return len(response.json()["results"])


def page_rows(key: str) -> Callable:
    """The rows a page lists under ``key`` in its context (a Page or a queryset)."""

    def rows(response) -> int:
        listed = response.context[key]
        return len(getattr(listed, "object_list", listed))

    return rows


def count_queries(client: Client, url: str, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), response


def assert_queries_do_not_grow(
    client: Client, url: str, add_rows: Callable, listed: Callable, *, n: int = 5, params=None
):
    """Add ``n`` rows with ``add_rows(n)`` and count the queries of one GET; add ``2n`` more
    (3N in all) and count again: the counts are equal, and the page lists the 2N new rows."""
    add_rows(n)
    client.get(url, params)  # caches that fill once per process (content types) are filled
    few, response = count_queries(client, url, params)
    shown = listed(response)
    assert shown >= n, (url, shown)
    add_rows(2 * n)
    many, response = count_queries(client, url, params)
    assert listed(response) == shown + 2 * n, (url, "the new rows are not listed")
    assert many == few, f"{url}: {few} queries with {n} rows, {many} with {3 * n}"
