"""Pages of lists: numbered pages for the browser, keyset pages for the API."""

from django.core.paginator import Paginator
from rest_framework.pagination import CursorPagination

PAGE_SIZE = 50


def paginate(request, rows):
    """The page of ``rows`` (ordered) that the request's ``page`` parameter asks for."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


class Pagination(CursorPagination):
    """Keyset pagination (fast at any depth), ordered by the view's ``ordering``."""

    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
