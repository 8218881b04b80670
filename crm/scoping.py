"""What a user may see, looked up once per request and put into queries as constants.

Every list, search, dashboard, export and task scopes its rows by the ids of the user's
municipalities (``Municipality.objects.ids_for``) and operators (``operator_ids_of``). Written
into the SQL as constants, PostgreSQL estimates 19 municipalities for a hub user and uses the
indexes; the guardian subquery they replace made it estimate a hundred and scan every company
(issue 12, ``bench/``).

``RequestScopeMiddleware`` opens a cache for the length of one request, so each look-up runs
once per request; outside a request (tasks, commands, tests calling services) every call reads
the database, so a granted or revoked right counts at once.
"""

from collections.abc import Callable, Hashable
from contextvars import ContextVar

_cache: ContextVar[dict | None] = ContextVar("knudepunkt_scope_cache", default=None)


def remembered(key: Hashable, compute: Callable[[], object]):
    """``compute()``, or what it gave earlier in this request for ``key``."""
    cache = _cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


class RequestScopeMiddleware:
    """One scope cache per request (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _cache.set({})
        try:
            return self.get_response(request)
        finally:
            _cache.reset(token)
