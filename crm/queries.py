"""Reads that encode visibility: search, lists and timelines start here."""

import json
import operator
import re
from contextlib import contextmanager
from functools import reduce

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordDistance
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

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
from crm.models.consents import active_consent_for
from crm.models.search import MIN_WORD
from crm.models.subjects import folded, operator_ids_of, works_with
from crm.scoping import remembered

SEARCH_LIMIT = 20
MAX_WORDS = 5  # words of a search text that must match (each costs a look-up in SearchWord)
MAX_SPELLINGS = 3  # known words tried for a misspelt one
CORRECTION_SPAN = 0.15  # how much less like the typed word than the best a spelling may be
# Matches in the user's municipalities (the planner's estimate) from which the closest are read
# from the GiST index in rank order rather than all ranked: below it the trigram GIN index
# finds them all at little cost, above it ranking them all costs more than 30 ms.
MANY_MATCHES = 300
DIGITS = re.compile(r"[\s-]")


def by_name(rows: QuerySet, text: str) -> list:
    """Rows whose name holds each word of ``text`` (of at least MIN_WORD letters) as typed or,
    for a misspelt word, one of the known words most like it ("smedje" finds "Smedie"); a word
    like no known word is left out, unless it is the only one. The closest names come first
    (pg_trgm word similarity to the text as corrected), ties by name. A text of short words
    only must be the whole name."""
    words = [word for word in text.split() if len(word) >= MIN_WORD][:MAX_WORDS]
    if not words:
        return ranked(rows.filter(search_name=folded(Value(text))), folded(Value(text)))
    found = [spelled(word) for word in words]
    spellings = [one for one, _ in found if one]
    if not spellings:
        return []
    needle = " ".join(one[0] for one in spellings)
    matching = rows.filter(every_word(spellings, "search_name"))
    if all(whole for one, whole in found if one) and many(matching):
        return closest(rows, spellings, needle)
    return ranked(matching, Value(needle))


def every_word(spellings: list[list[str]], field: str) -> Q:
    """Each word in one of its spellings, as a substring of ``field``."""
    return reduce(
        operator.and_,
        [reduce(operator.or_, [Q(**{f"{field}__contains": s}) for s in one]) for one in spellings],
    )


def many(rows: QuerySet) -> bool:
    """Whether the planner expects MANY_MATCHES or more rows (from the column statistics)."""
    plan = json.loads(rows.explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"] >= MANY_MATCHES


def ranked(rows: QuerySet, needle) -> list:
    """All of ``rows`` ranked: for a few rows, found through the trigram GIN index."""
    return list(
        rows.annotate(distance=TrigramWordDistance(needle, "search_name")).order_by(
            "distance", "name"
        )[:SEARCH_LIMIT]
    )


def closest(rows: QuerySet, spellings: list[list[str]], needle: str) -> list:
    """The SEARCH_LIMIT closest matches of many, read in rank order from the GiST index on
    ``Lower("search_name")`` (word-similarity distance, KNN), ties then by name among those read.
    The conditions name that expression too, so that only this index answers them: the GIN
    index of ``search_name`` would find every match of a common word first."""
    closest_first = (
        rows.alias(ranked_name=Lower("search_name"))
        .filter(every_word(spellings, "ranked_name"))
        .annotate(distance=TrigramWordDistance(Value(needle), Lower("search_name")))
        .order_by("distance")[:SEARCH_LIMIT]
    )
    with in_index_order():
        found = list(closest_first)
    return sorted(found, key=lambda row: (row.distance, row.name))


@contextmanager
def in_index_order():
    """No bitmap scan and no sort for the queries inside: the planner may otherwise collect
    every match of a common word from the GiST index (a bitmap scan that reads all of it, about
    a second at 1M names) to sort them, where reading them in index order stops after a page."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():  # SET LOCAL: undone with the transaction if the query fails
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")
        yield
        if not outermost:  # else the commit ends them
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_bitmapscan; RESET enable_sort")


def spellings_of(word: str) -> list[str]:
    """``word`` folded, if a known word begins with it (as typed so far); else the known words
    most like it (pg_trgm similarity, within CORRECTION_SPAN of the best), looked up in
    ``SearchWord`` rather than in a million names."""
    return spelled(word)[0]


def spelled(word: str) -> tuple[list[str], bool]:
    """``spellings_of(word)``, and whether they are whole known words (not a beginning): the
    closest names then hold them whole, at word-similarity distance 0. Both look-ups use an
    index: the prefix the btree of the C-collated primary key (the first known word at or
    after it), the correction the trigram GIN index (``%``, then at most a few dozen words
    ranked). Looked up once per request (the company and the founder search share them)."""
    return remembered(("spelled", word), lambda: look_up_spelling(word))


def look_up_spelling(word: str) -> tuple[list[str], bool]:
    needle = folded(Value(word))
    first = (
        SearchWord.objects.filter(word__startswith=needle)
        .annotate(typed=needle)
        .order_by("word")
        .values_list("word", "typed")
        .first()
    )
    if first:
        return [first[1]], first[0] == first[1]
    found = list(
        SearchWord.objects.filter(word__trigram_similar=needle)
        .annotate(score=TrigramSimilarity("word", needle))
        .order_by("-score")
        .values_list("word", "score")[:MAX_SPELLINGS]
    )
    return [known for known, score in found if score >= found[0][1] - CORRECTION_SPAN], True


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
        .select_related(*CONSENT_READ_RELATIONS)
        .order_by("-at", "-pk")
    )


CONSENT_READ_RELATIONS = ("user", "operator", "holder", "company", "founder", "consent")


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
