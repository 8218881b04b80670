"""Reads that encode visibility: search, lists and timelines start here."""

import re

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Value

from crm import cpr
from crm.models import Company, Founder, GuidanceSession
from crm.models.records import folded

SEARCH_LIMIT = 20
DIGITS = re.compile(r"[\s-]")


def search_companies(user, text: str) -> QuerySet:
    """Companies by CVR (8 digits), P-number (10 digits) or name, tolerant of typos and of
    æ/ø/å spelled ae/oe/aa. Name matching runs on the trigram index of ``search_name``."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Company.objects.visible_to(user).select_related("municipality")
    if digits.isdigit() and len(digits) in (8, 10):
        return visible.filter(Q(cvr=digits) | Q(p_number=digits))[:SEARCH_LIMIT]
    if len(text) < 2:
        return visible.none()
    needle = folded(Value(text))
    return (
        visible.filter(
            Q(search_name__contains=needle) | Q(search_name__trigram_word_similar=needle)
        )
        .annotate(rank=TrigramWordSimilarity(needle, "search_name"))
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )


def search_founders(user, text: str) -> QuerySet:
    """Founders by name, or by exact CPR number for users who may see person records."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Founder.objects.visible_to(user).select_related("municipality")
    if digits.isdigit() and len(digits) == 10:
        try:
            return visible.filter(cpr_hash=cpr.lookup_hash(cpr.clean_cpr(digits)))
        except ValidationError:  # not a valid CPR number: nothing can match
            return visible.none()
    if len(text) < 2 or digits.isdigit():
        return visible.none()
    needle = folded(Value(text))
    return (
        visible.filter(
            Q(search_name__contains=needle) | Q(search_name__trigram_word_similar=needle)
        )
        .annotate(rank=TrigramWordSimilarity(needle, "search_name"))
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )


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
