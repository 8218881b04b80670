from rest_framework.pagination import CursorPagination


class Pagination(CursorPagination):
    """Keyset pagination (fast at any depth), ordered by the view's ``ordering``."""

    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
