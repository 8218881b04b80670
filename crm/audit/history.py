"""A company's or founder's change history, as people read it: the pghistory events of the
subject and of the records its holder keeps on it (sessions, consents, contact persons,
projects, growth programmes, and the many-to-many links: session consultants, network members,
consent operators) and of those other apps register (referrals: ``OtherHistory``), in Danish,
with field names and old and new values. A CPR number is never shown: its encrypted value and
lookup hash (and what follows from them) read "ændret".
"""

import base64
import binascii
import datetime
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Model, OuterRef, Q, Subquery
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.concurrency import labelled, readable
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    ProgrammeEnrolment,
)
from crm.models.guidance import ConsentOperator, NetworkMember, SessionConsultant
from crm.models.subjects import operator_ids_of, works_with
from crm.register_sync import HISTORY_SOURCE

HISTORY_PAGE = 50

# --- The change history ----------------------------------------------------------------------

# The columns a CPR number is kept in, and those that follow from it: never shown.
CPR_FIELDS = {"cpr_encrypted", "cpr_hash", "birth_date", "sex"}
# A founder's details are for the operators that work with it (crm.queries.details_shared).
FOUNDER_DETAILS = {"address", "postcode", "city", "phone", "email", "education"}
ACTIONS = {
    "insert": gettext_lazy("Oprettet"),
    "update": gettext_lazy("Ændret"),
    "delete": gettext_lazy("Slettet"),
    "add": gettext_lazy("Tilføjet"),
    "remove": gettext_lazy("Fjernet"),
}
SOURCES = {
    HISTORY_SOURCE: gettext_lazy("CVR-registret (natlig opdatering)"),
    "seed_demo": gettext_lazy("Demodata"),
    "seed_referrals": gettext_lazy("Demodata"),
    "seed_contracts": gettext_lazy("Demodata"),
}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str
    hidden: bool = False  # a CPR number (or details not shared): only that it changed


@dataclass
class HistoryRow:
    at: datetime.datetime
    user: object  # the user who made the change, or None (a job, the register)
    source: str
    record: str  # what was changed: "Vejledning: 03.02.2026 Vejledning"
    action: str
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """One event table of a subject's history and the rows of it that the reader may see:
    ``rank`` orders events of one transaction (they share its time)."""

    rank: int
    events: type[Model]
    rows: Q


@dataclass(frozen=True)
class Reader:
    """Who reads a subject's history: the operators whose records it shows, and whether they
    work with the subject (then also its shared details and contact persons)."""

    operator_ids: list[int]
    works: bool

    def holds(self) -> Q:
        """Rows of the reader's operators; rows of no operator (older ones) if it works with
        the subject."""
        own = Q(operator_id__in=self.operator_ids)
        return own | Q(operator_id__isnull=True) if self.works else own


def reader_of(user, subject) -> Reader:
    ids = operator_ids_of(user)
    field = "company" if isinstance(subject, Company) else "founder"
    rows = type(subject).objects.filter(pk=subject.pk)
    return Reader(ids, rows.filter(works_with(ids, field, own=True)).exists())


def events_of(model) -> type[Model]:
    return model.pgh_event_model


@dataclass(frozen=True)
class OtherHistory:
    """An event table another app keeps on companies and founders (referrals): crm imports
    none of those apps, so each registers its own in its ``AppConfig.ready``. ``rows(field,
    pk, reader)`` are the events of subject ``field`` ("company" or "founder") ``pk`` that the
    reader may see; ``name`` names a record in the history."""

    model: type[Model]
    rows: Callable[[str, int, Reader], Q]
    name: Callable[[Model], str] = str


OTHER_HISTORIES: list[OtherHistory] = []


def register(history: OtherHistory) -> None:
    if history not in OTHER_HISTORIES:
        OTHER_HISTORIES.append(history)


def name_of(record) -> str:
    # A founder by name alone: its string holds a birth date, which is part of the CPR.
    if isinstance(record, Founder):
        return record.name
    other = next((o for o in OTHER_HISTORIES if isinstance(record, o.model)), None)
    return other.name(record) if other else str(record)


def history_sources(subject, reader: Reader) -> list[Source]:
    """The event tables of the subject's history, each with the rows the reader may see. The
    links (session consultants, consent operators) follow the sessions and consents in the
    history, deleted ones too; the other apps' tables come last."""
    field = "company" if isinstance(subject, Company) else "founder"
    mine = Q(**{f"{field}_id": subject.pk}) & reader.holds()
    sessions = events_of(GuidanceSession).objects.filter(mine).values("pgh_obj_id")
    consents = events_of(Consent).objects.filter(mine).values("pgh_obj_id")
    tables = [
        (type(subject), Q(pgh_obj_id=subject.pk)),
        (GuidanceSession, mine),
        (SessionConsultant, Q(guidancesession_id__in=sessions)),
        (Consent, mine),
        (ConsentOperator, Q(consent_id__in=consents)),
        (ProgrammeEnrolment, mine),
    ]
    if field == "company":
        tables += [(DevelopmentProject, mine), (NetworkMember, Q(company_id=subject.pk))]
        if reader.works:
            tables.append((ContactPerson, Q(company_id=subject.pk)))
    tables += [(other.model, other.rows(field, subject.pk, reader)) for other in OTHER_HISTORIES]
    return [Source(rank, events_of(model), rows) for rank, (model, rows) in enumerate(tables)]


# The cursor of the next page: the last row's time, table rank and event id.
def encode_cursor(row_key: tuple) -> str:
    at, rank, pk = row_key
    data = json.dumps([at.isoformat(), rank, pk]).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(text: str) -> tuple | None:
    """``None`` for anything but a cursor this page made (the page then starts at the top)."""
    try:
        at, rank, pk = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return datetime.datetime.fromisoformat(at), int(rank), int(pk)
    except (ValueError, TypeError, binascii.Error):
        return None


def older_than(source: Source, cursor: tuple | None) -> Q:
    """The source's events after ``cursor`` in the newest-first order of (time, rank, id)."""
    if cursor is None:
        return Q()
    at, rank, pk = cursor
    if source.rank < rank:
        return Q(pgh_created_at__lte=at)
    if source.rank == rank:
        return Q(pgh_created_at__lt=at) | Q(pgh_created_at=at, pgh_id__lt=pk)
    return Q(pgh_created_at__lt=at)


def key_of(event) -> tuple:
    return event.pgh_created_at, event.audit_rank, event.pgh_id


@dataclass
class HistoryPage:
    rows: list[HistoryRow]
    next_cursor: str | None
    is_first: bool


def subject_history(user, subject, cursor: str = "", *, size: int = HISTORY_PAGE) -> HistoryPage:
    """One page of the subject's history, newest first, as the reader may see it. A fixed
    number of queries whatever the rows: one per event table, one per table for the previous
    versions of the changed rows, and one per kind of related record named in a value."""
    reader = reader_of(user, subject)
    position = decode_cursor(cursor) if cursor else None
    events = []
    for source in history_sources(subject, reader):
        rows = (
            source.events.objects.filter(source.rows, older_than(source, position))
            .select_related("pgh_context")
            .order_by("-pgh_created_at", "-pgh_id")[: size + 1]
        )
        for event in rows:
            event.audit_rank = source.rank
            events.append(event)
    events.sort(key=key_of, reverse=True)
    shown, more = events[:size], len(events) > size
    hidden = set() if reader.works else FOUNDER_DETAILS
    rows = Describer(shown, hidden).rows()
    following = encode_cursor(key_of(shown[-1])) if more else None
    return HistoryPage(rows, following, position is None)


def record_history(record) -> list[HistoryRow]:
    """Every event of one record, oldest first (an access request shows a person's earlier
    values); its details are the person's own, so none is hidden but the CPR number."""
    events = list(
        events_of(type(record))
        .objects.filter(pgh_obj_id=record.pk)
        .select_related("pgh_context")
        .order_by("pgh_id")
    )
    return Describer(events, set()).rows()


class Describer:
    """Events as readable rows: each update compared with the version before it, related
    records named, users and sources looked up once for the whole page."""

    def __init__(self, events: list, hidden: set[str]):
        self.events = events
        self.hidden = hidden

    def rows(self) -> list[HistoryRow]:
        changes = {id(event): self.changes_of(event) for event in self.events}
        return [
            HistoryRow(
                at=event.pgh_created_at,
                user=self.users.get(self.metadata(event).get("user")),
                source=source_of(self.metadata(event)),
                record=self.record_of(event),
                action=str(ACTIONS.get(event.pgh_label, event.pgh_label)),
                changes=changes[id(event)],
            )
            for event in self.events
        ]

    @staticmethod
    def metadata(event) -> dict:
        return event.pgh_context.metadata if event.pgh_context_id and event.pgh_context else {}

    @cached_property
    def previous(self) -> dict[tuple, object]:
        """The version before each update on the page, one query per event table."""
        wanted = defaultdict(list)
        for event in self.events:
            if event.pgh_label == "update":
                wanted[type(event)].append(event.pgh_id)
        found = {}
        for model, ids in wanted.items():
            before = model.objects.filter(
                pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id")
            ).order_by("-pgh_id")
            latest = model.objects.filter(pgh_id__in=ids).annotate(
                before=Subquery(before.values("pgh_id")[:1])
            )
            for old in model.objects.filter(pgh_id__in=latest.values("before")):
                found[(model, old.pgh_obj_id, old.pgh_id)] = old
        return found

    def previous_of(self, event):
        candidates = [
            old
            for (model, obj, pk), old in self.previous.items()
            if model is type(event) and obj == event.pgh_obj_id and pk < event.pgh_id
        ]
        return max(candidates, key=lambda old: old.pgh_id, default=None)

    # -- What each event changed

    def changes_of(self, event) -> list[Change]:
        model = event.pgh_tracked_model
        if model._meta.proxy:  # a many-to-many link
            return [self.link_change(event)]
        if event.pgh_label == "update":
            old = self.previous_of(event)
            return self.differences(model, old, event) if old is not None else []
        if event.pgh_label == "insert":
            return self.differences(model, None, event)
        return []

    def differences(self, model, old, new) -> list[Change]:
        changes, cpr_changed = [], False
        for model_field in shown_fields(model):
            before = getattr(old, model_field.attname) if old is not None else None
            after = getattr(new, model_field.attname)
            if before == after if old is not None else is_blank(after):
                continue
            if model_field.name in CPR_FIELDS:
                cpr_changed = old is not None
                continue
            label = capfirst(str(model_field.verbose_name))
            if model is Founder and model_field.name in self.hidden:
                changes.append(Change(label, "", _("ændret"), hidden=True))
            else:
                shown_before = self.value(model_field, before) if old is not None else ""
                changes.append(Change(label, shown_before, self.value(model_field, after)))
        if cpr_changed:
            changes.insert(0, Change(_("CPR-nummer"), "", _("ændret"), hidden=True))
        return changes

    def link_change(self, event) -> Change:
        """A row added to or removed from a link table: the owner's field and the record."""
        owner, other, many = link_of(event.pgh_tracked_model)
        named = self.named(other.related_model, getattr(event, other.attname))
        label = capfirst(str(many.verbose_name))
        return Change(label, named, "") if event.pgh_label == "remove" else Change(label, "", named)

    def value(self, model_field, value) -> str:
        if model_field.is_relation and value is not None:
            return self.named(model_field.related_model, value)
        if isinstance(model_field, models.FileField) and value:
            return str(value).rsplit("/", 1)[-1]
        if isinstance(value, Decimal):
            return number_format(value)
        return readable(model_field, value)

    # -- Names of related records, users and records, looked up once per page

    @cached_property
    def related(self) -> dict[type, dict]:
        wanted = defaultdict(set)
        for event in self.events:
            model = event.pgh_tracked_model
            links = link_of(model)[:2] if model._meta.proxy else shown_fields(model)
            for link in links:
                value = getattr(event, link.attname)
                if link.is_relation and value is not None:
                    wanted[link.related_model].add(value)
        return {model: model._base_manager.in_bulk(pks) for model, pks in wanted.items()}

    def named(self, model, pk) -> str:
        found = self.related.get(model, {}).get(pk)
        if found is None:
            return f"{capfirst(str(model._meta.verbose_name))} #{pk}"
        if isinstance(found, get_user_model()):
            return found.get_full_name() or found.get_username()
        return str(found)

    @cached_property
    def users(self) -> dict:
        ids = {self.metadata(event).get("user") for event in self.events} - {None}
        return get_user_model()._base_manager.in_bulk([pk for pk in ids if isinstance(pk, int)])

    def record_of(self, event) -> str:
        model = event.pgh_tracked_model
        if model._meta.proxy:
            owner = link_of(model)[0]
            model, record = (
                owner.related_model,
                self.named(owner.related_model, getattr(event, owner.attname)),
            )
        else:
            record = name_of(self.rebuilt(model, event))
        return f"{capfirst(str(model._meta.verbose_name))}: {record}"

    def rebuilt(self, model, event):
        """The record as the event saw it, with the related records looked up for the page
        (a name may use them: a referral's is its receiver), so naming it queries nothing."""
        fields = shown_fields(model)
        record = model(
            pk=event.pgh_obj_id, **{f.attname: getattr(event, f.attname) for f in fields}
        )
        for link in fields:
            value = getattr(event, link.attname)
            found = (
                self.related.get(link.related_model, {}).get(value) if link.is_relation else None
            )
            if found is not None:
                link.set_cached_value(record, found)
        return record


def is_blank(value) -> bool:
    """Nothing worth listing among a new record's values (0 is a value; False is not)."""
    return value is None or value is False or value in ("", [])


def shown_fields(model) -> list:
    """The tracked fields a person knows by name (those with a label of their own), and the
    CPR columns (shown only as "ændret")."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "search_name" and (labelled(f) or f.name in CPR_FIELDS)
    ]


def link_of(through) -> tuple:
    """A link table's foreign key to the owner of the many-to-many field, its other foreign
    key, and the many-to-many field itself."""
    first, second = [f for f in through._meta.concrete_fields if f.is_relation]
    for owner, other in ((first, second), (second, first)):
        for many in owner.related_model._meta.many_to_many:
            if many.remote_field.through is through._meta.concrete_model:
                return owner, other, many
    raise LookupError(through)


def source_of(metadata: dict) -> str:
    """Where a change came from: a page, the API, the register refresh, an import, a merge."""
    if "source" in metadata:
        return str(SOURCES.get(metadata["source"], metadata["source"]))
    if "undo_import_batch" in metadata:
        return _("Fortrudt indlæsning nr. %(id)s") % {"id": metadata["undo_import_batch"]}
    if "import_batch" in metadata:
        return _("Indlæsning nr. %(id)s") % {"id": metadata["import_batch"]}
    if "merge" in metadata:
        return _("Sammenlægning af dubletter")
    url = metadata.get("url") or ""
    if url.startswith("/api/"):
        return _("API'et (%(url)s)") % {"url": url}
    if url:
        return _("Siden %(url)s") % {"url": url}
    return _("Systemet")
