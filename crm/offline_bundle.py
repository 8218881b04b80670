"""What the phone app keeps for offline use (issue 18): the consultant's own companies and
founders, the follow-ups due, and the choices a guidance session is typed with, each record
with its version (crm.concurrency) so that what is sent back later is checked against what
was read. Only what the user may see, and never a CPR number in clear (``DDMMYY-xxxx``).

"Own": a company or founder of a session the user took part in (a consultant of it) or
logged, dated within the last ``OWN_DAYS`` days, visible to the user; the ``OWN_LIMIT`` most
recently guided. A fixed number of queries, whatever the number of rows."""

import datetime

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from crm import consents, cpr
from crm.api import READ, HoldsRecordRight
from crm.concurrency import version
from crm.middleware import SESSION_STARTED
from crm.models import (
    Company,
    ConsentAccess,
    Founder,
    GuidanceSession,
    Municipality,
    Theme,
)
from crm.models.subjects import GrowthLevel
from crm.queries import follow_ups_due

OWN_DAYS = 730  # 24 months
OWN_LIMIT = 500  # companies, founders and follow-ups each


def sessions_of(user, since: datetime.date):
    """The sessions since ``since`` that the user took part in or logged."""
    return GuidanceSession.objects.filter(Q(consultants=user) | Q(created_by=user), date__gte=since)


def own(user, model, subject_field: str, today: datetime.date):
    """The user's own companies or founders, the most recently guided first. The user's
    sessions are few: the subjects are found from them, not from every visible subject."""
    since = today - datetime.timedelta(days=OWN_DAYS)
    mine = sessions_of(user, since)
    latest = mine.filter(**{subject_field: OuterRef("pk")}).order_by("-date").values("date")
    return (
        model.objects.visible_to(user, READ)
        .filter(pk__in=mine.values(subject_field))
        .annotate(last_guided=Subquery(latest[:1]))
        .select_related("municipality")
        .order_by("-last_guided", "pk")[:OWN_LIMIT]
    )


def company_row(company: Company) -> dict:
    fields = ("id", "cvr", "name", "address", "postcode", "city")
    row = {name: getattr(company, name) for name in fields}
    return row | {"municipality": company.municipality_id, "version": version(company)}


def founder_row(founder: Founder) -> dict:
    return {
        "id": founder.pk,
        "name": founder.name,
        "cpr_masked": cpr.mask(founder.birth_date),
        "municipality": founder.municipality_id,
        "version": version(founder),
    }


def follow_up_row(session: GuidanceSession) -> dict:
    subject = session.company or session.founder
    return {
        "session": session.pk,
        "date": session.date,
        "follow_up_on": session.follow_up_on,
        "subject_name": subject.name,
        "company": session.company_id,
        "founder": session.founder_id,
        "version": version(session),
    }


def choices() -> dict:
    def pairs(options):
        return [[value, str(label)] for value, label in options]

    return {
        "tier": pairs(GuidanceSession.Tier.choices),
        "channel": pairs(GuidanceSession.Channel.choices),
        "kind": pairs(GuidanceSession.Kind.choices),
        "themes": pairs(Theme.choices),
        "screening_result": pairs(GrowthLevel.choices),
    }


def expires_at(request) -> datetime.datetime:
    """When the phone must delete the bundle: when the login ends, 12 hours after it
    (``SESSION_ABSOLUTE_LIMIT``), not at the 30 minutes' idle timeout. A visit without signal
    is idle by nature and lasts longer than that; the idle timeout guards a browser left open
    on the server's side, and the phone's copy is encrypted behind the phone's lock. A session
    that has no login time (never the case after a login) ends at its own expiry."""
    started = request.session.get(SESSION_STARTED)
    if started is None:
        return request.session.get_expiry_date()
    login = datetime.datetime.fromtimestamp(started, datetime.UTC)
    return login + settings.SESSION_ABSOLUTE_LIMIT


def bundle(request) -> dict:
    """The bundle for ``request.user``; logs the follow-ups read on a consent."""
    user, today = request.user, timezone.localdate()
    due = list(follow_ups_due(user, today + datetime.timedelta(days=1))[:OWN_LIMIT])
    reads = {ConsentAccess.Record.SESSION: due}
    consents.do_log_consent_reads(user, reads, source=request.path)
    return {
        "generated_at": timezone.now(),
        "expires_at": expires_at(request),
        "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        "companies": [company_row(row) for row in own(user, Company, "company", today)],
        "founders": [founder_row(row) for row in own(user, Founder, "founder", today)],
        "follow_ups": [follow_up_row(session) for session in due],
        "choices": choices(),
        "municipalities": list(
            Municipality.objects.for_user(user, READ).order_by("name").values("id", "name")
        ),
    }


# --- The answer's shape (also the OpenAPI schema) ---------------------------------------------


class UserShape(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CompanyShape(serializers.Serializer):
    id = serializers.IntegerField()
    cvr = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    postcode = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True)
    municipality = serializers.IntegerField()
    version = serializers.CharField()


class FounderShape(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    cpr_masked = serializers.CharField()
    municipality = serializers.IntegerField()
    version = serializers.CharField()


class FollowUpShape(serializers.Serializer):
    session = serializers.IntegerField()
    date = serializers.DateField()
    follow_up_on = serializers.DateField()
    subject_name = serializers.CharField()
    company = serializers.IntegerField(allow_null=True)
    founder = serializers.IntegerField(allow_null=True)
    version = serializers.CharField()


class ChoicesShape(serializers.Serializer):
    tier = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    channel = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    kind = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    themes = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    screening_result = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField())
    )


class MunicipalityShape(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BundleShape(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    user = UserShape()
    companies = CompanyShape(many=True)
    founders = FounderShape(many=True)
    follow_ups = FollowUpShape(many=True)
    choices = ChoicesShape()
    municipalities = MunicipalityShape(many=True)


@extend_schema(responses=BundleShape)
@api_view(["GET"])
@permission_classes([IsAuthenticated, HoldsRecordRight])
def offline_bundle(request):
    """The caller's own companies, founders and follow-ups for the phone app's offline use
    (see the module's docstring); ``expires_at``: when the phone must delete them."""
    data = BundleShape(bundle(request)).data
    return Response(data, headers={"Cache-Control": "no-store"})
