"""Writes that may be sent twice: the phone app's outbox (issue 18) sends each entry with an
``Idempotency-Key`` header, and sends it again whenever it never heard the answer. The first
request with a key runs; its successful answer is stored in the same transaction as what it
wrote (``IdempotentRequest``), so either both are there or neither. A repeat with the same key
and the same body gets the stored answer (header ``Idempotent-Replayed: true``) and writes
nothing; the same key with another body is refused (422). Two requests with one key at the
same moment take turns on a transaction-scoped advisory lock on (user, key): the second finds
the first one's answer. A refusal (4xx) is not stored: the entry may be sent again once put
right. Keys are kept ``KEY_DAYS`` days (purged nightly with the access logs, crm.audit)."""

import datetime
import hashlib
import json

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from crm.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY = 100
KEY_DAYS = 7  # longer than a phone stays offline with a session (12 hours at most)


class KeyReused(APIException):
    status_code = 422
    default_detail = _lazy(
        "Idempotency-Key er allerede brugt til en anden forespørgsel. Send en ny nøgle for "
        "en ny registrering."
    )
    default_code = "idempotency_key_reused"


def key_of(request) -> str:
    """The request's key ("" without one); a key that is empty or too long is refused (400)."""
    if HEADER not in request.headers:
        return ""
    key = request.headers[HEADER].strip()
    if not 1 <= len(key) <= MAX_KEY:
        raise ValidationError(
            {"detail": _("Idempotency-Key skal være 1-%(max)s tegn.") % {"max": MAX_KEY}}
        )
    return key


def fingerprint(request) -> str:
    """sha256 of the method, the path and the body as parsed (the order of its keys and the
    spelling of the JSON do not count)."""
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart body
        data = dict(data.lists())
    text = json.dumps([request.method, request.path, data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def take_turn(user_id: int, key: str) -> None:
    """Wait until no other transaction works under this key; held until this one ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"crm.idempotency:{user_id}:{key}"],
        )


def replayed(stored: IdempotentRequest) -> Response:
    return Response(stored.response, status=stored.status, headers={REPLAYED: "true"})


def once(request, run) -> Response:
    """The answer of ``run()`` (a view's write), carried out once per key (see above)."""
    key = key_of(request)
    if not key:
        return run()
    user, digest = request.user, fingerprint(request)
    with transaction.atomic():
        take_turn(user.pk, key)
        stored = IdempotentRequest.objects.filter(user=user, key=key).first()
        if stored is not None:
            if stored.fingerprint != digest:
                raise KeyReused
            return replayed(stored)
        response = run()
        if 200 <= response.status_code < 300:
            IdempotentRequest.objects.create(
                user=user,
                key=key,
                method=request.method,
                path=request.path[:500],
                fingerprint=digest,
                status=response.status_code,
                response=json.loads(json.dumps(response.data, cls=JSONEncoder)),
            )
    return response


KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "1-100 characters, one per record to be written (the phone's outbox sends one per "
        "entry). Sent again with the same body, the stored answer is returned with "
        "Idempotent-Replayed: true and nothing is written; with another body, 422."
    ),
)
WITH_KEY = extend_schema(parameters=[KEY_PARAMETER])


class IdempotentCreate:
    """For API viewsets, before ``CreateModelMixin``: a create honours an ``Idempotency-Key``."""

    @WITH_KEY
    def create(self, request, *args, **kwargs):
        create = super().create
        return once(request, lambda: create(request, *args, **kwargs))


class IdempotentUpdate:
    """For API viewsets, first among the bases (before ``concurrency.VersionedUpdate``): a
    change (PUT/PATCH) honours an ``Idempotency-Key``."""

    @WITH_KEY
    def update(self, request, *args, **kwargs):
        update = super().update
        return once(request, lambda: update(request, *args, **kwargs))

    @WITH_KEY
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


def do_purge_keys(now: datetime.datetime | None = None) -> int:
    """Delete the keys older than ``KEY_DAYS``; returns how many."""
    since = (now or timezone.now()) - datetime.timedelta(days=KEY_DAYS)
    return IdempotentRequest.objects.filter(created_at__lt=since).delete()[0]
