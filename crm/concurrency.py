"""Two people changing one record at once: versions, row locks and guarded state changes.

No version column: a record's version is a keyed hash of its stored values, so any change by
anyone (a page, the API, a bulk update) gives a new one. The API sends it as the ``ETag`` and
takes it back in ``If-Match``; an edit page carries it as a hidden field. Every write re-reads
its row under a lock (``lock``) inside its transaction: two writers of one row take turns, and
the second works on the first one's values, never on a stale copy of them. A state change is
an UPDATE guarded by the state it leaves (``guarded_update``), so it happens once.
"""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from crm.services import DomainError, DuplicateRecord


class Conflict(DomainError):
    """The record's current state refuses the change, because somebody changed it meanwhile
    (the API answers 409)."""


@dataclass
class Change:
    """A field somebody else changed: its name, its label, the values as shown to the user
    (masked where personal) and as stored (never shown, never sent)."""

    name: str
    label: str
    old: str
    new: str
    old_value: object = None
    new_value: object = None


class StaleRecord(Conflict):
    """The record changed after the user read it: ``changes`` says what changed, ``version``
    is its version now (the API answers 412)."""

    def __init__(self, message: str, changes: list[Change], version: str):
        super().__init__(message)
        self.changes, self.version = changes, version


def stored_fields(model) -> list[models.Field]:
    """The columns a version covers: every stored field but the generated ones (derived from
    the others, and not kept in the change history)."""
    return [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.GeneratedField)
    ]


def canonical(value):
    """One spelling of a stored value, whichever way it was read."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


def version_of(values: list) -> str:
    text = json.dumps([canonical(value) for value in values], default=str)
    return salted_hmac("crm.concurrency.version", text, algorithm="sha256").hexdigest()[:32]


def version(instance, model=None) -> str:
    """The version of ``instance`` as it was read from the database (``model``: the model
    whose fields count, for a row of its change history)."""
    fields = stored_fields(model or type(instance))
    return version_of([getattr(instance, field.attname) for field in fields])


def current_version(instance) -> str:
    """The version of the row as stored now (after a write: the instance may hold values not
    yet in the database's spelling, such as 5 for 5.00)."""
    model = type(instance)
    names = [field.attname for field in stored_fields(model)]
    return version_of(list(model._base_manager.values_list(*names).get(pk=instance.pk)))


class Gone(Conflict):
    """The record was deleted after the user read it: merged into another record, for one
    (the API answers 409)."""


def lock(instance):
    """Re-read ``instance`` from its row and keep the row locked until the transaction ends:
    a second writer waits, then reads what the first one wrote. A row the first one deleted
    (merged away) refuses the change (``Gone``)."""
    queryset = type(instance)._base_manager.select_for_update(of=("self",))
    try:
        instance.refresh_from_db(from_queryset=queryset)
    except type(instance).DoesNotExist:
        raise Gone(gone_message(instance)) from None
    return instance


def gone_message(instance) -> str:
    return _(
        "%(record)s med id %(id)s findes ikke længere: den er slettet eller lagt sammen med en "
        "anden post i mellemtiden. Intet er gemt; genindlæs siden."
    ) % {"record": capfirst(instance._meta.verbose_name), "id": instance.pk}


def check_version(instance, *accepted: str) -> None:
    """Refuse a change based on another version of ``instance`` than the one now stored (read
    under ``lock``). Nothing accepted: nothing to compare. Call it after the checks of who may
    change the record: the refusal names what changed."""
    refusal = stale(instance, accepted)
    if refusal:
        raise refusal


def stale(instance, accepted) -> StaleRecord | None:
    """The refusal of a change based on a version not in ``accepted``, if it is one."""
    accepted = [token for token in accepted if token]
    now = version(instance)
    if not accepted or now in accepted:
        return None
    changes = changes_since(instance, accepted)
    return StaleRecord(stale_message(instance, changes), changes, now)


def stale_message(instance, changes: list[Change]) -> str:
    record = capfirst(instance._meta.verbose_name)
    if not changes:
        return _(
            "%(record)s er ændret af en anden, efter du hentede den. Dine ændringer er ikke "
            "gemt: se de nye værdier og gem igen."
        ) % {"record": record}
    listed = "; ".join(
        _("%(field)s: “%(old)s” → “%(new)s”")
        % {"field": change.label, "old": change.old, "new": change.new}
        for change in changes
    )
    return _(
        "%(record)s er ændret af en anden, efter du hentede den (%(changes)s). Dine ændringer "
        "er ikke gemt: se de nye værdier og gem igen."
    ) % {"record": record, "changes": listed}


HISTORY_SEARCHED = 200  # change-history rows searched for the version the user read


def changes_since(instance, accepted) -> list[Change]:
    """What changed between the version the user read (found in the record's change history,
    kept by pghistory) and now; empty if that version is not found there."""
    model = type(instance)
    events = getattr(instance, "events", None)
    if events is None:
        return []
    try:
        for event in events.order_by("-pgh_id")[:HISTORY_SEARCHED]:
            if version(event, model) in accepted:
                return differences(model, event, instance)
    except AttributeError:  # the history does not keep every field
        return []
    return []


def differences(model, old, new) -> list[Change]:
    """The fields a user knows by name (those with a label of their own) that differ."""
    changes = []
    for field in stored_fields(model):
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if labelled(field) and before != after:
            label = capfirst(field.verbose_name)
            shown_before, shown_after = shown(field, before), shown(field, after)
            changes.append(Change(field.name, label, shown_before, shown_after, before, after))
    return changes


def labelled(field) -> bool:
    """Bookkeeping columns (hashes, who set what when) have no label of their own."""
    return str(field.verbose_name) != field.name.replace("_", " ")


# A person's details are shown masked in a refusal: the user may not see them any more.
PERSON_MODELS = {"crm.founder", "crm.contactperson"}


def shown(field, value) -> str:
    text = readable(field, value)
    personal = field.model._meta.label_lower in PERSON_MODELS and not field.is_relation
    if (personal or isinstance(field, models.TextField)) and text != "–":
        return text[:2] + "…"
    return text


def readable(field, value) -> str:
    if value in (None, "", []):
        return "–"
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related else str(value)
    choices = dict(getattr(field, "base_field", field).flatchoices)
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value)
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(choices.get(value, value))


def guarded_update(instance, expected: dict, **values) -> None:
    """Set ``values`` on the row of ``instance`` only while it still holds ``expected`` (one
    UPDATE ... WHERE): a state change that somebody else made first is refused, not repeated.
    Call it under ``lock``, so the refusal is rare and the message can name the state."""
    updated = type(instance)._base_manager.filter(pk=instance.pk, **expected).update(**values)
    if not updated:
        raise Conflict(_("En anden har ændret dette i mellemtiden. Genindlæs siden."))
    for name, value in values.items():
        setattr(instance, name, value)


def check_not_registered(same, message: str) -> None:
    """Refuse a record that is registered already (``same``: the rows it would duplicate)."""
    existing = same.first()
    if existing is not None:
        raise DuplicateRecord(message, existing)


def save_new(record, same, message: str):
    """Save a new record whose unique key ``check_not_registered`` found free. Registered by
    somebody else meanwhile (the unique constraint refuses the second of two at once), it is
    the same refusal, naming the record that won."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        check_not_registered(same, message)
        raise
    return record


# --- The API: ETag on reads, If-Match on changes ---------------------------------------------


class ConflictError(APIException):
    status_code = 409
    default_detail = _lazy("Posten er ændret i mellemtiden.")
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = _lazy("Posten er ændret, siden du hentede den.")
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = _lazy(
        "Send ETag'en fra din seneste læsning af posten i If-Match, når du erstatter den (PUT)."
    )
    default_code = "precondition_required"


def as_api_error(exc):
    """The API's answer to a refusal of this module (else ``exc`` itself)."""
    if isinstance(exc, StaleRecord):
        changes = [{"field": c.label, "old": c.old, "new": c.new} for c in exc.changes]
        return PreconditionFailed({"detail": str(exc), "changes": changes, "version": exc.version})
    if isinstance(exc, Conflict):
        return ConflictError(str(exc))
    return exc


def etag(token: str) -> str:
    return f'"{token}"'


def if_match(request) -> list[str]:
    """The versions the request's If-Match accepts ("*": any, so none to compare). A weak tag
    (W/"...") never matches: If-Match compares strongly."""
    tags = [tag.strip() for tag in request.headers.get("If-Match", "").split(",") if tag.strip()]
    if "*" in tags:
        return []
    return [tag[1:-1] if tag.startswith('"') and tag.endswith('"') else tag for tag in tags]


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class StaleSerializer(serializers.Serializer):
    detail = serializers.CharField()
    changes = ChangeSerializer(many=True)
    version = serializers.CharField(help_text="The record's version now (its ETag).")


WRITES = ("update", "partial_update")
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="The record's version: send it back in If-Match to change the record.",
)


def if_match_parameter(required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        "If-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=required,
        description=(
            "The ETag of the read the change is based on: 412 if the record has changed "
            "since. Required for PUT (428 without it); without it, a PATCH writes only the "
            "fields it sends, onto the record as it is stored."
        ),
    )


class VersionedSchema(AutoSchema):
    """Documents what ``Versioned`` adds: the ETag, If-Match, 412/428, and 409 for a state
    change that another user made first."""

    def action(self) -> str:
        return getattr(self.view, "action", "") or ""

    def detail(self) -> bool:
        return bool(getattr(self.view, "detail", False))

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.action() in WRITES:
            return [*parameters, if_match_parameter(self.method == "PUT"), ETAG_HEADER]
        if self.action() == "retrieve":
            return [*parameters, ETAG_HEADER]
        return parameters

    def get_response_serializers(self):
        serializers_ = super().get_response_serializers()
        changes = self.action() in WRITES or (self.method == "POST" and self.detail())
        if not changes or isinstance(serializers_, dict):
            return serializers_
        described = {
            200: serializers_,
            409: OpenApiResponse(description="Another user changed the record first."),
        }
        if self.action() in WRITES:
            described[412] = OpenApiResponse(
                StaleSerializer, description="The record changed since the ETag in If-Match."
            )
        if self.method == "PUT":
            described[428] = OpenApiResponse(description="PUT needs If-Match.")
        return described


class Versioned:
    """For API viewsets (first among the bases): a read answers the record's version as its
    ``ETag``. Refusals become answers in ``crm.api.ServiceErrors`` (409, 412)."""

    schema = VersionedSchema()

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        return Response(self.get_serializer(row).data, headers={"ETag": etag(version(row))})

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, StaleRecord):
            response["ETag"] = etag(exc.version)
        return response


class VersionedUpdate(Versioned):
    """``Versioned``, and a change (PUT/PATCH) locks the row for its transaction and, given
    ``If-Match``, is refused with 412 and what changed when the record is no longer that
    version. PUT replaces every field, so it needs If-Match (428); a PATCH without it writes
    only its own fields, onto the row as stored. Before ``UpdateModelMixin`` in the bases."""

    def update(self, request, *args, **kwargs):
        if request.method == "PUT" and not request.headers.get("If-Match"):
            raise PreconditionRequired
        with transaction.atomic():
            row = lock(self.get_object())
            refusal = stale(row, if_match(request))
            serializer = self.get_serializer(
                row, data=request.data, partial=kwargs.get("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
            if refusal:  # after the service's checks, so only who may change it learns what
                raise refusal  # changed; the write is rolled back with the transaction
            row = serializer.instance
            row._prefetched_objects_cache = {}  # as DRF: the response reads relations anew
            headers = {"ETag": etag(current_version(row))}
        return Response(serializer.data, headers=headers)
