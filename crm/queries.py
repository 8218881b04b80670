"""Reads that encode visibility: search, lists and timelines start here."""

import re

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Value

from crm import cpr
from crm.models import Company, Founder, GuidanceSession, Municipality
from crm.models.records import folded

SEARCH_LIMIT = 20
DIGITS = re.compile(r"[\s-]")


def visible_ids(user, perm: str = "view_records") -> list[int]:
    """The user's municipality ids as constants: with them PostgreSQL combines the name index
    with the municipality index instead of reading every match in the country (bench/)."""
    return list(Municipality.objects.for_user(user, perm).values_list("pk", flat=True))


def by_name(rows: QuerySet, text: str) -> list:
    """Substring matches first; only if they do not fill the page, typo-tolerant matches
    (pg_trgm word similarity) - the slower index scan is paid only when needed."""
    needle = folded(Value(text))
    rank = TrigramWordSimilarity(needle, "search_name")
    found = list(
        rows.filter(search_name__contains=needle)
        .annotate(rank=rank)
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )
    if len(found) < SEARCH_LIMIT:
        found += list(
            rows.filter(search_name__trigram_word_similar=needle)
            .exclude(pk__in=[row.pk for row in found])
            .annotate(rank=rank)
            .order_by("-rank", "name")[: SEARCH_LIMIT - len(found)]
        )
    return found


def search_companies(user, text: str) -> list:
    """Companies by CVR (8 digits), P-number (10 digits) or name, tolerant of typos and of
    æ/ø/å spelled ae/oe/aa."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Company.objects.filter(municipality__in=visible_ids(user)).select_related(
        "municipality"
    )
    if digits.isdigit() and len(digits) in (8, 10):
        return list(visible.filter(cvr=digits)) + list(visible.filter(p_number=digits))
    if len(text) < 2:
        return []
    return by_name(visible, text)


def search_founders(user, text: str) -> list:
    """Founders by name, or by exact CPR number for users who may see person records."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Founder.objects.filter(municipality__in=visible_ids(user)).select_related(
        "municipality"
    )
    if digits.isdigit() and len(digits) == 10:
        try:
            return list(visible.filter(cpr_hash=cpr.lookup_hash(cpr.clean_cpr(digits))))
        except ValidationError:  # not a valid CPR number: nothing can match
            return []
    if len(text) < 2 or digits.isdigit():
        return []
    return by_name(visible, text)


def sessions_visible_to(user) -> QuerySet:
    return GuidanceSession.objects.visible_to(user).select_related(
        "company", "founder", "operator", "municipality"
    )


def follow_ups_due(user, today) -> QuerySet:
    """The user's sessions whose follow-up date has come."""
    return (
        sessions_visible_to(user)
        .filter(consultants=user, follow_up_on__lte=today)
        .order_by("follow_up_on", "pk")
    )
