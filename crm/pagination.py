"""Pages of lists, by keyset (fast at any depth) for the browser and the API alike.

A page is the rows after (or before) the key of the row a link names, in the list's order;
never OFFSET, and never an exact COUNT over millions of rows: the count stops at
``COUNT_CAP`` and the page says "more than" beyond it.
"""

import base64
import binascii
import datetime
import decimal
import json
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from rest_framework.pagination import CursorPagination

PAGE_SIZE = 50
# Rows counted at most: beyond them a list is "more than 200". The count reads up to four
# pages' rows (a hub's sessions: 76 ms at 1,000, about the page itself at 200).
COUNT_CAP = 200
LAST = "last"  # ?page=last: the end of the list


@dataclass(frozen=True)
class Key:
    """One column of a list's order: its lookup path, its direction, whether it may be NULL."""

    path: str
    descending: bool
    nullable: bool

    def reversed(self) -> "Key":
        return Key(self.path, not self.descending, self.nullable)

    @property
    def order(self) -> str:
        return f"-{self.path}" if self.descending else self.path


@dataclass
class KeysetPage:
    """The rows of one page and the cursors of its neighbours (``None``: no such page)."""

    object_list: list
    start: int | None  # the position of the first row, when known
    total: int | None  # the number of rows, when at most COUNT_CAP
    next_cursor: str | None = None
    previous_cursor: str | None = None
    count_cap: int = field(default=COUNT_CAP)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    @property
    def label(self) -> str:
        """ "Viser 51–100 af 134", "… af mere end 200", or the rows shown when the position
        is not known (the end of a list longer than the count reaches)."""
        shown, cap = len(self.object_list), number_format(self.count_cap, force_grouping=True)
        if self.start is None:
            return _("Viser %(shown)s af mere end %(cap)s") % {"shown": shown, "cap": cap}
        numbers = {"first": self.start, "last": self.start + max(shown - 1, 0)}
        if self.total is None:
            return _("Viser %(first)s–%(last)s af mere end %(cap)s") % {**numbers, "cap": cap}
        total = number_format(self.total, force_grouping=True)
        return _("Viser %(first)s–%(last)s af %(total)s") % {**numbers, "total": total}


# --- The key -------------------------------------------------------------------------------


def keys_of(rows: QuerySet) -> list[Key]:
    """The list's order (its ``order_by``, else the model's), ending in the primary key."""
    query = rows.query
    meta = rows.model._meta
    ordering = query.order_by or (meta.ordering if query.default_ordering else ())
    keys = [key_of(rows.model, item) for item in ordering]
    if not any(key.path in ("pk", meta.pk.name) for key in keys):
        keys.append(Key("pk", keys[-1].descending if keys else False, False))
    return keys


def key_of(model: type[Model], item) -> Key:
    if isinstance(item, OrderBy) and isinstance(item.expression, F):
        if item.nulls_first or item.nulls_last:
            raise ValueError(f"keyset pages keep PostgreSQL's NULL order: {item}")
        path, descending = item.expression.name, item.descending
    elif isinstance(item, str) and item != "?":
        path, descending = item.removeprefix("-"), item.startswith("-")
    else:
        raise ValueError(f"keyset pages need column orderings, not {item!r}")
    return Key(path, descending, field_of(model, path).null)


def field_of(model: type[Model], path: str):
    """The model field at the end of a lookup path (``company__name``, ``pk``)."""
    *relations, last = path.split("__")
    for name in relations:
        model = model._meta.get_field(name).related_model
    return model._meta.pk if last == "pk" else model._meta.get_field(last)


def value_at(row: Model, path: str):
    for name in path.split("__"):
        row = getattr(row, name) if row is not None else None
    return row


# --- The cursor ----------------------------------------------------------------------------


def encode(values: list, start: int | None) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.date) else v for v in values]
    plain = [str(v) if isinstance(v, decimal.Decimal) else v for v in plain]
    data = json.dumps({"v": plain, "n": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode(model: type[Model], keys: list[Key], cursor: str) -> tuple[list, int | None] | None:
    """The key values and position a cursor carries, checked against the key's fields;
    ``None`` for anything else (a tampered or stale link then opens the first page)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, start = data["v"], data.get("n")
        if not isinstance(values, list) or not (start is None or isinstance(start, int)):
            return None
        return [python_value(model, k, value) for k, value in zip(keys, values, strict=True)], start
    except (ValueError, TypeError, KeyError, binascii.Error, ValidationError, FieldDoesNotExist):
        return None


def python_value(model: type[Model], key: Key, value):
    if value is None:
        if not key.nullable:
            raise ValueError("NULL in a key that cannot be NULL")
        return None
    if isinstance(value, (dict, list)):
        raise TypeError("a key value is a scalar")
    return field_of(model, key.path).to_python(value)


# --- The condition -------------------------------------------------------------------------


def beyond(keys: list[Key], values: list) -> Q:
    """The rows after ``values`` in the order of ``keys``, written so that the first key is
    an index condition: ``name >= x AND (name > x OR pk > y)``. NULL sorts as PostgreSQL
    sorts it by default: after every value ascending, before every value descending."""
    (key, *rest), (value, *others) = keys, values
    after = strictly_after(key, value)
    if not rest:
        return after
    return same_or_after(key, value) & (after | beyond(rest, others))


def strictly_after(key: Key, value) -> Q:
    lookup = "lt" if key.descending else "gt"
    if value is None:  # NULL is the largest value
        return Q(**{f"{key.path}__isnull": False}) if key.descending else Q(pk__in=[])
    condition = Q(**{f"{key.path}__{lookup}": value})
    if key.nullable and not key.descending:
        condition |= Q(**{f"{key.path}__isnull": True})
    return condition


def same_or_after(key: Key, value) -> Q:
    lookup = "lte" if key.descending else "gte"
    if value is None:
        return Q() if key.descending else Q(**{f"{key.path}__isnull": True})
    condition = Q(**{f"{key.path}__{lookup}": value})
    if key.nullable and not key.descending:
        condition |= Q(**{f"{key.path}__isnull": True})
    return condition


# --- The page ------------------------------------------------------------------------------


def paginate(request, rows: QuerySet, *, size: int = PAGE_SIZE) -> KeysetPage:
    """The page of ``rows`` (ordered; the primary key ends the order) that the request's
    ``after``, ``before`` or ``page=last`` asks for; the first page otherwise. Two queries:
    the page's rows (``size + 1``, to know if more follow) and the count up to COUNT_CAP."""
    keys = keys_of(rows)
    total = capped_count(rows)
    after = request.GET.get("after")
    before = request.GET.get("before")
    if after and (cursor := decode(rows.model, keys, after)):
        return forward(rows, keys, size, total, *cursor)
    if before and (cursor := decode(rows.model, keys, before)):
        return backward(rows, keys, size, total, *cursor)
    if request.GET.get("page") == LAST:
        return backward(rows, keys, size, total, None, None)
    return forward(rows, keys, size, total, None, 1)


def capped_count(rows: QuerySet) -> int | None:
    """The number of rows, or ``None`` when there are more than COUNT_CAP."""
    counted = rows.order_by().values("pk")[: COUNT_CAP + 1].count()
    return counted if counted <= COUNT_CAP else None


def fetch(rows: QuerySet, keys: list[Key], values, size: int) -> list:
    if values is not None:
        rows = rows.filter(beyond(keys, values))
    return list(rows.order_by(*(key.order for key in keys))[: size + 1])


def forward(rows, keys, size, total, values, start) -> KeysetPage:
    listed = fetch(rows, keys, values, size)
    page, more = listed[:size], len(listed) > size
    if values is None:
        start = 1
    return page_of(page, keys, start, total, size, has_next=more, has_previous=values is not None)


def backward(rows, keys, size, total, values, start) -> KeysetPage:
    """The page before ``values`` (``None``: the last page), read in reverse order."""
    listed = fetch(rows, [key.reversed() for key in keys], values, size)
    page, more = listed[:size][::-1], len(listed) > size
    if not more:
        start = 1
    elif values is None:  # the last page: its position is known when the count is
        start = total - len(page) + 1 if total is not None else None
    return page_of(page, keys, start, total, size, has_next=values is not None, has_previous=more)


def page_of(rows: list, keys, start, total, size, *, has_next, has_previous) -> KeysetPage:
    def cursor(row, position):
        return encode([value_at(row, key.path) for key in keys], position)

    following = start + len(rows) if start is not None else None
    preceding = max(start - size, 1) if start is not None else None
    return KeysetPage(
        rows,
        start,
        total,
        next_cursor=cursor(rows[-1], following) if has_next and rows else None,
        previous_cursor=cursor(rows[0], preceding) if has_previous and rows else None,
    )


class Pagination(CursorPagination):
    """Keyset pagination (fast at any depth), ordered by the view's ``ordering``."""

    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
