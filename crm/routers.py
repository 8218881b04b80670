"""The one router class every API module registers its viewsets on."""

from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    """DRF's router with two changes that every current and future viewset gets:

    - a detail route's id is digits only, unless the viewset names its own
      ``lookup_value_regex``: ``/sessions/abc/`` is a 404 from the URL resolver instead of a
      500 from PostgreSQL casting "abc" to a number;
    - no ``.json`` format-suffix routes: JSON is the only format the API speaks, and custom
      actions do not take the ``format`` argument those routes would pass them."""

    include_format_suffixes = False

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        field = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        value = getattr(viewset, "lookup_value_regex", "[0-9]+")
        return f"(?P<{lookup_prefix}{field}>{value})"
