"""Anonymisation: the set-based SQL that removes what identifies a person and keeps the facts
the numbers are made of. ``crm.retention`` decides whom and when; this module only does it.

Gone: names, the CPR number (encrypted value and lookup hash), the birth day and month,
address, phone, e-mail, education, notes and other free text, uploaded consent forms - in the
records themselves, in their change history (pghistory's event rows hold every old value), in
the inbox messages about them, in the import's undo data, the admin log and the search words.
Kept: ids, dates, kinds, municipality, sex and birth year, hours, themes, states and every link
between records, so the attainment snapshots and every count stay as published.

Every step is one UPDATE (or DELETE) over a batch of ids; rows already as they should be are
left alone, so running a batch twice writes nothing the second time.
"""

import re
from dataclasses import dataclass
from functools import cache, reduce
from operator import or_

import pghistory.models
from cryptography.fernet import InvalidToken
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import (
    CharField,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Collate, Concat, ExtractYear, Left, Lower
from django.utils import timezone

from crm import cpr
from crm.models import (
    Company,
    ContactPerson,
    ErasureRequest,
    EventParticipant,
    Founder,
    IdempotentRequest,
    ImportRecord,
    Notification,
    SearchWord,
)
from crm.models.search import MIN_WORD

ANONYMISED = "Anonymiseret"  # stands for a removed name or value (stored, so in Danish)
SHORTEST = 3  # a typed value shorter than this is not looked for in other records' text


@dataclass(frozen=True)
class SubjectRecords:
    """Rows about a company or founder (or a contact person) that follow their subject
    (sessions, consents, referrals, reports...). When the subject's people are anonymised,
    ``texts`` (free text, an uploaded file) are emptied and the inbox messages keyed
    ``<prefix>:<id>`` for a prefix in ``notifications`` lose their text; a row ``dated`` after
    a rule's cutoff is a contact that keeps its subject. ``company``, ``founder`` and
    ``contact`` are the look-ups from the row to its subject ("" where it has none). Apps
    register theirs (``register``), so crm imports none of them."""

    model: type[models.Model]
    texts: tuple[str, ...] = ()
    dated: str = ""
    company: str = "company"
    founder: str = "founder"
    contact: str = ""
    notifications: tuple[str, ...] = ()

    def of(self, side: str, ids) -> models.QuerySet:
        path = getattr(self, side)
        if not path:
            return self.model._default_manager.none()
        return self.model._default_manager.filter(**{f"{path}__in": ids})

    def files(self) -> list[str]:
        return [
            name for name in self.texts if isinstance(field(self.model, name), models.FileField)
        ]


RECORDS: list[SubjectRecords] = []


def register(records: SubjectRecords) -> None:
    if records not in RECORDS:
        RECORDS.append(records)


def field(model, name: str) -> models.Field:
    return model._meta.get_field(name)


@cache
def history_models(model) -> tuple:
    """The pghistory event models that keep copies of ``model``'s rows."""
    return tuple(
        m
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and m.pgh_tracked_model is model
    )


def history_of(model, rows: models.QuerySet, path: str = "", ids=()) -> list[models.QuerySet]:
    """The event rows of ``rows``, and (``path`` a plain field of the event model) those of
    rows since deleted or moved that named one of ``ids`` there."""
    found = []
    for event in history_models(model):
        condition = Q(pgh_obj__in=rows.values("pk"))
        if path and "__" not in path and any(f.name == path for f in event._meta.fields):
            condition |= Q(**{f"{path}__in": ids})
        found.append(event.objects.filter(condition))
    return found


def pattern_of(values) -> str:
    """A PostgreSQL regular expression that finds any of ``values`` as a whole word."""
    words = sorted(
        {v.strip() for v in values if v and len(v.strip()) >= SHORTEST}, key=len, reverse=True
    )
    if not words:
        return ""
    alternatives = "|".join(re.escape(word) for word in words)
    return rf"(?<![[:alnum:]_])(?:{alternatives})(?![[:alnum:]_])"


def redacted(model, name: str, pattern: str):
    """The column with every match of ``pattern`` replaced (cut to the column's length)."""
    expression = Func(
        F(name),
        Value(pattern),
        Value(ANONYMISED),
        Value("gi"),
        function="regexp_replace",
        output_field=models.TextField(),
    )
    length = field(model, name).max_length
    return Left(expression, length) if length else expression


# --- Rows about a subject -------------------------------------------------------------------


def clear(records: SubjectRecords, side: str, ids, *, pattern: str = "") -> list:
    """Empty the free text of the rows about the subjects ``ids`` (``side``: "company" or
    "founder") and of their history; their messages lose their text and (``pattern``) the
    names in their titles. Uploaded files are deleted after commit. Returns the rows whose
    old values the import's undo data may hold (``forget_undo``)."""
    rows = records.of(side, ids)
    if records.texts:
        filled = reduce(or_, (~Q(**{name: ""}) for name in records.texts))
        empty = {name: "" for name in records.texts}
        targets = [rows, *history_of(records.model, rows, getattr(records, side), ids)]
        files = {
            name
            for target in targets
            for column in records.files()
            for name in target.exclude(**{column: ""}).values_list(column, flat=True)
        }
        for target in targets:
            target.filter(filled).update(**empty)
        delete_after_commit(files)
    messages = messages_of(records, rows)
    if pattern:
        messages.filter(title__iregex=pattern).update(
            title=redacted(Notification, "title", pattern)
        )
    messages.exclude(body="").update(body="")
    return [(records.model, rows)] if records.texts else []


def redact(records: SubjectRecords, side: str, ids, pattern: str) -> None:
    """Replace the values ``pattern`` finds in the free text of the rows about ``ids`` and of
    their history, and in their messages."""
    rows = records.of(side, ids)
    texts = [name for name in records.texts if name not in records.files()]
    if texts:
        found = reduce(or_, (Q(**{f"{name}__iregex": pattern}) for name in texts))
        for target in [rows, *history_of(records.model, rows, getattr(records, side), ids)]:
            target.filter(found).update(
                **{name: redacted(target.model, name, pattern) for name in texts}
            )
    messages = messages_of(records, rows).filter(Q(title__iregex=pattern) | Q(body__iregex=pattern))
    messages.update(
        title=redacted(Notification, "title", pattern), body=redacted(Notification, "body", pattern)
    )


def messages_of(records: SubjectRecords, rows: models.QuerySet) -> models.QuerySet:
    if not records.notifications:
        return Notification.objects.none()
    keys = reduce(
        or_,
        (
            Q(
                key__in=rows.order_by().values(
                    k=Concat(Value(f"{prefix}:"), Cast("pk", CharField()))
                )
            )
            for prefix in records.notifications
        ),
    )
    return Notification.objects.filter(keys)


def delete_after_commit(names) -> None:
    for name in names:
        transaction.on_commit(lambda name=name: default_storage.delete(name))


def forget_undo(changed: list) -> None:
    """The import's undo data keeps a changed record's old values: no longer. ``changed``:
    (model, rows) pairs, done in one statement (one read of the undo data per batch)."""
    condition = reduce(
        or_,
        (
            Q(model=model._meta.label_lower, object_id__in=rows.values("pk"))
            for model, rows in changed
        ),
    )
    ImportRecord.objects.filter(condition, before__isnull=False).update(before=None)


def forget_admin_log(model, ids) -> None:
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in ids],
    ).exclude(object_repr=ANONYMISED).update(object_repr=ANONYMISED)


def forget_words(names) -> None:
    """Delete the search words (``SearchWord``) of the anonymised names that no remaining
    company or founder name holds. Each word is looked up in the names' trigram indexes: in
    the names' collation (a word's is "C", which no index of the names answers), with
    sequential scans off for the statement, since the planner guesses that a word is in 0.5 %
    of the names and would read all of them for a rare one (0.2 s a word at 1M companies; by
    the index 1-30 ms)."""
    words = {word for name in names for word in name.split() if len(word) >= MIN_WORD}
    if not words:
        return

    def used(model):
        word = Collate(OuterRef("word"), "default")
        return Exists(model.objects.filter(search_name__contains=word))

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    SearchWord.objects.filter(word__in=words).exclude(used(Company)).exclude(used(Founder)).delete()
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")


def redact_requests(ids, pattern: str, kind: str) -> None:
    """The erasure request's reason stays as the log of why, without the person's values."""
    if pattern:
        requests = ErasureRequest.objects.filter(**{f"{kind}__in": ids}, reason__iregex=pattern)
        requests.update(reason=redacted(ErasureRequest, "reason", pattern))
    ErasureRequest.objects.filter(**{f"{kind}__in": ids}, done_at__isnull=True).update(
        done_at=timezone.now()
    )


def forget_replies(pattern: str) -> None:
    """A stored answer to the phone app's write (crm.idempotency, kept a week) that names the
    person keeps its key, so that a repeat still writes nothing, without the person's values."""
    if pattern:
        answers = IdempotentRequest.objects.alias(text=Cast("response", TextField()))
        answers.filter(text__iregex=pattern).update(response={"detail": ANONYMISED})


# --- People ---------------------------------------------------------------------------------


def founder_values(pk: str) -> dict:
    """What an anonymised founder row holds (``pk``: the column with the founder's id)."""
    return {
        "name": ANONYMISED,
        "cpr_encrypted": b"",
        "cpr_hash": Concat(Value("anonymiseret-"), Cast(pk, CharField())),
        # The birth year stays for the age breakdowns (seed 004: 18-30 years).
        "birth_date": Func(
            Cast(ExtractYear("birth_date"), IntegerField()),
            Value(7),
            Value(1),
            function="make_date",
            output_field=DateField(),
        ),
        **dict.fromkeys(["address", "postcode", "city", "phone", "email", "education"], ""),
    }


def typed_cpr(token: bytes) -> list[str]:
    """The CPR number as people type it, to find it in free text (never logged)."""
    try:
        number = cpr.decrypt(token)
    except (InvalidToken, ValueError):
        return []
    return [number, f"{number[:6]}-{number[6:]}"]


def founders(ids) -> int:
    """Anonymise the founders ``ids`` (those not yet anonymised), their records' free text,
    and their values wherever they are written in the records of the companies they
    started. Returns how many were anonymised."""
    people = list(
        Founder.objects.filter(pk__in=ids, anonymised_at__isnull=True).values(
            "pk", "name", "search_name", "phone", "email", "cpr_encrypted", "company_id"
        )
    )
    if not people:
        return 0
    ids = [person["pk"] for person in people]
    values = [v for p in people for v in [p["name"], p["phone"], p["email"]]]
    pattern = pattern_of(values + [n for p in people for n in typed_cpr(p["cpr_encrypted"])])
    rows = Founder.objects.filter(pk__in=ids)
    rows.update(**founder_values("pk"), anonymised_at=timezone.now())
    for history in history_of(Founder, rows):
        history.update(**founder_values("pgh_obj_id"))
    changed = [(Founder, rows)]
    for records in RECORDS:
        changed += clear(records, "founder", ids, pattern=pattern)
    started = {person["company_id"] for person in people} - {None}
    if started and pattern:
        for records in RECORDS:
            redact(records, "company", started, pattern)
    redact_requests(ids, pattern, "founder")
    forget_replies(pattern)
    forget_undo(changed)
    forget_admin_log(Founder, ids)
    forget_words(person["search_name"] for person in people)
    return len(ids)


CONTACT_VALUES = {
    "name": ANONYMISED,
    **dict.fromkeys(["role", "education", "phone", "email"], ""),
}


def contacts(ids) -> int:
    """Anonymise the contact persons ``ids`` (those not yet anonymised), and their values
    wherever they are written in their companies' records. Returns how many."""
    people = list(
        ContactPerson.objects.filter(pk__in=ids, anonymised_at__isnull=True).values(
            "pk", "name", "phone", "email", "company_id"
        )
    )
    if not people:
        return 0
    ids = [person["pk"] for person in people]
    pattern = pattern_of(v for p in people for v in [p["name"], p["phone"], p["email"]])
    rows = ContactPerson.objects.filter(pk__in=ids)
    rows.update(**CONTACT_VALUES, anonymised_at=timezone.now())
    for history in history_of(ContactPerson, rows):
        history.update(**CONTACT_VALUES)
    changed = [(ContactPerson, rows)]
    for records in RECORDS:
        changed += clear(records, "contact", ids, pattern=pattern)
    if pattern:
        companies = {person["company_id"] for person in people}
        for records in RECORDS:
            redact(records, "company", companies, pattern)
    redact_requests(ids, pattern, "contact")
    forget_replies(pattern)
    forget_undo(changed)
    forget_admin_log(ContactPerson, ids)
    return len(ids)


def companies(ids) -> int:
    """Remove the people's data of the companies ``ids`` (not yet done): the free text of
    their records and their contact persons. The company's own register facts (a legal
    person's, public in the CVR register) stay. Returns how many companies."""
    ids = list(
        Company.objects.filter(pk__in=ids, anonymised_at__isnull=True).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    changed = []
    for records in RECORDS:
        changed += clear(records, "company", ids)
    if changed:
        forget_undo(changed)
    contacts(ContactPerson.objects.filter(company__in=ids).values_list("pk", flat=True))
    Company.objects.filter(pk__in=ids).update(anonymised_at=timezone.now())
    return len(ids)


def pseudonym_of_email():
    """A participant's e-mail replaced by one that names nobody but stays the same for every
    registration with that e-mail (the programme indicators count a person by it:
    ``contracts.indicators.participant_key``): the first such registration's id."""
    first = (
        EventParticipant.objects.annotate(key=Lower("email"))
        .filter(key=Lower(OuterRef("email")))
        .order_by("pk")
        .values("pk")[:1]
    )
    return Concat(
        Value("anonymiseret-"), Cast(Subquery(first), CharField()), Value("@anonymiseret.invalid")
    )


def participants(ids) -> int:
    """Remove the typed name and e-mail of the participants ``ids`` without a company or
    founder (those not yet done) and of every other registration with the same e-mail (a
    person expires after the last event: ``crm.retention``), in their history too. Kept: the
    event, attendance, municipality, the breakdowns and one person per e-mail, so the
    programme indicators count the same. Returns how many registrations."""
    people = EventParticipant.objects.filter(company__isnull=True, founder__isnull=True).exclude(
        name=ANONYMISED
    )
    batch = people.filter(pk__in=ids)
    emails = batch.exclude(email="").annotate(key=Lower("email")).values("key")
    rows = people.annotate(key=Lower("email")).filter(Q(pk__in=ids) | Q(key__in=emails))
    done = list(rows.values_list("pk", flat=True))
    if not done:
        return 0
    rows = EventParticipant.objects.filter(pk__in=done)
    rows.exclude(email="").update(email=pseudonym_of_email())
    rows.update(name=ANONYMISED)
    for history in history_of(EventParticipant, rows):
        history.update(name=ANONYMISED, email="")
    forget_undo([(EventParticipant, rows)])
    forget_admin_log(EventParticipant, done)
    return len(done)


def register_core() -> None:
    """The core's own rows about a subject (the apps add theirs in their ``ready()``)."""
    from crm.models import (
        Consent,
        DevelopmentProject,
        GuidanceSession,
        ProgrammeEnrolment,
    )

    register(
        SubjectRecords(GuidanceSession, texts=("content",), dated="date", notifications=("advis",))
    )
    register(
        SubjectRecords(
            Consent,
            texts=("correction_reason", "link_sent_to", "document"),
            dated="given_on",
            notifications=("consent-pending",),
        )
    )
    register(SubjectRecords(ProgrammeEnrolment, dated="started_on"))
    register(SubjectRecords(DevelopmentProject, dated="identified_on", founder=""))
    # A participant's typed name and e-mail (history too: before it became a founder record).
    register(SubjectRecords(EventParticipant, texts=("name", "email"), dated="registered_at"))


register_core()
