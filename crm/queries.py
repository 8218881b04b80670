"""Reads that encode visibility: search, lists and timelines start here."""

import operator
import re
from functools import reduce

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Value

from crm import cpr
from crm.models import (
    Company,
    Consent,
    ConsentAccess,
    Founder,
    GuidanceSession,
    Municipality,
    SearchWord,
)
from crm.models.records import active_consent_for, folded, operator_ids_of, works_with
from crm.models.search import MIN_WORD

SEARCH_LIMIT = 20
MAX_WORDS = 5  # words of a search text that must match (each costs a look-up in SearchWord)
MAX_SPELLINGS = 3  # known words tried for a misspelt one
CORRECTION_SPAN = 0.15  # how much less like the typed word than the best a spelling may be
DIGITS = re.compile(r"[\s-]")


def by_name(rows: QuerySet, text: str) -> list:
    """Rows whose name holds each word of ``text`` (of at least MIN_WORD letters) as typed or,
    for a misspelt word, one of the known words most like it ("smedje" finds "Smedie"); a word
    like no known word is left out, unless it is the only one. The closest names come first
    (pg_trgm word similarity to the whole text). A text of short words only must be the whole
    name."""
    needle = folded(Value(text))
    words = [word for word in text.split() if len(word) >= MIN_WORD][:MAX_WORDS]
    if not words:
        condition = Q(search_name=needle)
    else:
        spellings = [found for word in words if (found := spellings_of(word))]
        if not spellings:
            return []
        condition = reduce(
            operator.and_,
            [reduce(operator.or_, [Q(search_name__contains=s) for s in one]) for one in spellings],
        )
    return list(
        rows.filter(condition)
        .annotate(rank=TrigramWordSimilarity(needle, "search_name"))
        .order_by("-rank", "name")[:SEARCH_LIMIT]
    )


def spellings_of(word: str) -> list:
    """``word`` folded, if a known word begins with it (as typed so far); else the known words
    most like it (pg_trgm similarity, within CORRECTION_SPAN of the best), looked up in
    ``SearchWord`` rather than in a million names."""
    needle = folded(Value(word))
    if SearchWord.objects.filter(word__startswith=needle).exists():
        return [needle]
    found = list(
        SearchWord.objects.filter(word__trigram_similar=needle)
        .annotate(score=TrigramSimilarity("word", needle))
        .order_by("-score")
        .values_list("word", "score")[:MAX_SPELLINGS]
    )
    return [known for known, score in found if score >= found[0][1] - CORRECTION_SPAN]


def search_companies(user, text: str) -> list:
    """Companies by CVR (8 digits), P-number (10 digits) or name, tolerant of typos and of
    æ/ø/å spelled ae/oe/aa."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Company.objects.visible_to(user).select_related("municipality")
    if digits.isdigit() and len(digits) in (8, 10):
        return list(visible.filter(cvr=digits)) + list(visible.filter(p_number=digits))
    if len(text) < 2:
        return []
    return by_name(visible, text)


def search_founders(user, text: str) -> list:
    """Founders by name, or by exact CPR number for users who may see person records."""
    text = text.strip()
    digits = DIGITS.sub("", text)
    visible = Founder.objects.visible_to(user).select_related("municipality")
    if digits.isdigit() and len(digits) == 10:
        try:
            return list(visible.filter(cpr_hash=cpr.lookup_hash(cpr.clean_cpr(digits))))
        except ValidationError:  # not a valid CPR number: nothing can match
            return []
    if len(text) < 2 or digits.isdigit():
        return []
    return by_name(visible, text)


def details_shared(user, subject_field: str) -> Q:
    """For company or founder rows: whether the user sees their details beyond the registry
    facts (a founder's address, phone, e-mail and education): the rule of ``SharedQuerySet``."""
    ids = operator_ids_of(user)
    return works_with(ids, subject_field, own=True) | active_consent_for(
        ids, subject_field, own=True
    )


def details_shared_with(user, subject) -> bool:
    field = "company" if isinstance(subject, Company) else "founder"
    rows = type(subject).objects.filter(pk=subject.pk)
    return rows.filter(details_shared(user, field)).exists()


def consent_reads_of(user, municipality: Municipality) -> QuerySet:
    """The reads on the strength of a consent, in ``municipality``, of what the user's
    operators hold: their own records, and the shared data (contact persons, a founder's
    details) of the subjects they work with. Newest first."""
    ids = operator_ids_of(user)
    company = Q(company__isnull=False) & works_with(ids, "company")
    founder = Q(founder__isnull=False) & works_with(ids, "founder")
    return (
        ConsentAccess.objects.filter(municipality=municipality)
        .filter(Q(holder__in=ids) | Q(holder__isnull=True) & (company | founder))
        .select_related("user", "operator", "holder", "company", "founder", "consent")
        .order_by("-at", "-pk")
    )


def consent_reads_backed(source: str) -> bool:
    """Whether every consent that something kept (a rendered PDF, ``source``) was read on is
    still live: withdrawn, declined or corrected, it no longer opens what was kept."""
    used = ConsentAccess.objects.filter(source=source).values("consent")
    return not Consent.objects.filter(pk__in=used).exclude(pk__in=Consent.objects.live()).exists()


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
