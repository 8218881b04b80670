"""The REST API (/api/v1/): a second interface over the same scopes and services as the pages.

Lists start from the caller's scope (``visible_to``); one row is fetched through
``crm.permissions.access_scoped``: 404 outside the caller's municipalities, 403 inside them
without the right. Writes call the ``do_*`` services, whose refusals answer 400.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, ExpressionWrapper, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from crm import concurrency, consents, filters, idempotency, register, register_sync
from crm import serializers as shapes
from crm.models import (
    Company,
    Consent,
    ConsentAccess,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Membership,
    Municipality,
    Network,
    ProgrammeEnrolment,
)
from crm.permissions import MEMBER, access_scoped
from crm.queries import details_shared, sessions_visible_to
from crm.routers import Router
from crm.services import (
    DomainError,
    DuplicateRecord,
    NotAllowed,
    do_add_contact,
    do_add_project,
    do_create_company,
    do_create_founder,
    do_create_network,
    do_enrol_programme,
    do_log_session,
    do_update_company,
    do_update_contact,
    do_update_founder,
    do_update_project,
    do_update_session,
)
from crm.views.records import existing_url

READ, CHANGE = "view_records", "change_records"


class MunicipalitySerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    hub = serializers.CharField(source="hub.name", default=None)

    class Meta:
        model = Municipality
        fields = ["code", "name", "official_name", "region", "hub", "rural_urban"]


class MunicipalityViewSet(viewsets.ReadOnlyModelViewSet):
    """The municipalities the caller's operators serve."""

    serializer_class = MunicipalitySerializer
    lookup_field = "code"
    ordering = "code"
    filterset_fields = ["region__code", "rural_urban"]

    def get_queryset(self):
        return Municipality.objects.for_user(self.request.user, MEMBER).select_related(
            "region", "hub"
        )


class MembershipSerializer(serializers.ModelSerializer):
    operator = serializers.CharField(source="operator.name")
    operator_kind = serializers.CharField(source="operator.kind")

    class Meta:
        model = Membership
        fields = ["operator", "operator_kind", "role"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    memberships = MembershipSerializer(many=True)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    """Who the caller is and in which operators it holds which role."""
    memberships = request.user.memberships.filter(operator__active=True).select_related("operator")
    data = {
        "username": request.user.username,
        "email": request.user.email,
        "memberships": memberships,
    }
    return Response(MeSerializer(data).data)


# --- Records -------------------------------------------------------------------------------


def right_for(request) -> str:
    return READ if request.method in SAFE_METHODS else CHANGE


class HoldsRecordRight(BasePermission):
    """Reading needs "view_records", writing "change_records", in at least one municipality:
    a viewer (aggregated figures only) gets 403, not an empty list. The row's own
    municipality is checked where the row is fetched."""

    def has_permission(self, request, view) -> bool:
        return Municipality.objects.for_user(request.user, right_for(request)).exists()


def duplicate_body(user, error: DuplicateRecord) -> dict:
    """The refusal, with the registered record's id and page only if the caller may see it."""
    body = {"detail": str(error)}
    url = existing_url(user, error)
    if url:
        body["existing"], body["existing_url"] = error.existing.pk, url
    return body


def field_errors(error: DjangoValidationError) -> dict:
    """``full_clean()`` errors keyed like the serializer's own."""
    detail = serializers.as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return detail


class ServiceErrors:
    """The services' refusals, the same in every API: ``NotAllowed`` (the role does not allow
    it) answers 403, a ``Conflict`` (somebody changed the record first) 409, or 412 when the
    change named the version it was based on, any other ``DomainError`` 400 with its message."""

    def handle_exception(self, exc):
        exc = concurrency.as_api_error(exc)
        if isinstance(exc, NotAllowed):
            exc = PermissionDenied(str(exc))
        elif isinstance(exc, DomainError):
            exc = ValidationError({"detail": str(exc)})
        return super().handle_exception(exc)


class RecordViewSet(
    ServiceErrors,
    idempotency.IdempotentCreate,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read and create one kind of record; subclasses name the model, the related rows
    a response needs (one query for all rows, never one per row) and the create service."""

    permission_classes = [IsAuthenticated, HoldsRecordRight]
    model = None
    select = ()
    prefetch = ()

    def with_related(self, rows):
        return rows.select_related(*self.select).prefetch_related(*self.prefetch)

    def get_queryset(self):
        return self.with_related(self.model.objects.visible_to(self.request.user, READ))

    def get_object(self):
        # access_scoped applies the scope itself, at member level, to tell 404 from 403.
        rows = self.with_related(self.model.objects.all())
        row = access_scoped(self.request.user, rows, right_for(self.request), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, row)
        return row

    def handle_exception(self, exc):
        if isinstance(exc, DuplicateRecord):  # a Response: the id stays a number
            return Response(duplicate_body(self.request.user, exc), status=400)
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(field_errors(exc))
        return super().handle_exception(exc)


class LogsConsentReads:
    """The rows a GET answers with are logged where the caller reads them on the strength of
    a consent (``crm.consents.do_log_consent_reads``): one insert per request."""

    read_kind = None
    shown = ()

    def get_serializer(self, *args, **kwargs):
        if self.request.method == "GET" and args:
            self.shown = list(args[0]) if kwargs.get("many") else [args[0]]
        return super().get_serializer(*args, **kwargs)

    def shown_rows(self) -> list:
        return self.shown

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and self.shown:
            reads = {self.read_kind: self.shown_rows()}
            consents.do_log_consent_reads(request.user, reads, source=request.path)
        return response


class CompanyViewSet(
    idempotency.IdempotentUpdate,
    concurrency.VersionedUpdate,
    mixins.UpdateModelMixin,
    RecordViewSet,
):
    """Companies: their registry facts are visible to everyone with "view_records" in the
    company's municipality."""

    model = Company
    select = ("municipality", "industry_code")
    serializer_class = shapes.CompanySerializer
    filterset_class = filters.CompanyFilter
    ordering = ("name", "pk")

    def perform_create(self, serializer):
        serializer.instance = do_create_company(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = do_update_company(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        request=shapes.CompanyFromRegisterSerializer,
        responses={
            201: shapes.CompanySerializer,
            200: shapes.CompanySerializer,
            409: OpenApiResponse(description="Registered already, outside your municipalities."),
            503: OpenApiResponse(description="The company register does not answer."),
        },
        parameters=[idempotency.KEY_PARAMETER],
    )
    @action(detail=False, methods=["post"], url_path="from-register")
    def from_register(self, request):
        """Register a company by its CVR number, its facts from the company register: 201,
        the company and ``existing: false``. Registered already: 200 with ``existing: true``
        where you may see it, else 409. The register away: 503 (try again later); the
        company in a municipality not yours: 404."""
        return idempotency.once(request, lambda: self.register_company(request))

    def register_company(self, request) -> Response:
        form = shapes.CompanyFromRegisterSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        try:
            company = register_sync.do_register_company(request.user, **form.validated_data)
        except DuplicateRecord as error:
            return self.registered_already(error)
        except register.RegisterUnavailable:
            raise RegisterDown from None
        except NotAllowed as error:  # as the company form's lookup: not in your municipalities
            raise NotFound(str(error)) from None
        return Response(self.registered(company, existing=False), status=201)

    def registered_already(self, error: DuplicateRecord) -> Response:
        company = self.get_queryset().filter(pk=error.existing.pk).first()
        if company is None:
            body = {
                "detail": _("%(detail)s Den ligger i en kommune, du ikke har adgang til.")
                % {"detail": error}
            }
            return Response(body, status=409)
        return Response(self.registered(company, existing=True))

    def registered(self, company: Company, *, existing: bool) -> dict:
        return {**shapes.CompanySerializer(company).data, "existing": existing}


class RegisterDown(APIException):
    status_code = 503
    default_detail = _lazy("CVR-registret svarer ikke; prøv igen senere.")
    default_code = "register_unavailable"


class ContactPersonViewSet(
    idempotency.IdempotentUpdate,
    concurrency.VersionedUpdate,
    LogsConsentReads,
    mixins.UpdateModelMixin,
    RecordViewSet,
):
    """Contact persons; the company is named on create and stays."""

    model = ContactPerson
    read_kind = ConsentAccess.Record.CONTACT
    serializer_class = shapes.ContactPersonSerializer
    filterset_class = filters.ContactPersonFilter
    ordering = ("name", "pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = do_add_contact(self.request.user, data.pop("company"), **data)

    def perform_update(self, serializer):
        serializer.instance = do_update_contact(
            self.request.user, serializer.instance, **serializer.validated_data
        )


class FounderViewSet(
    idempotency.IdempotentUpdate,
    concurrency.VersionedUpdate,
    LogsConsentReads,
    mixins.UpdateModelMixin,
    RecordViewSet,
):
    """Founders before start. The CPR number is written once, on create, and never returned."""

    model = Founder
    read_kind = ConsentAccess.Record.FOUNDER
    select = ("municipality",)
    filterset_class = filters.FounderFilter
    ordering = ("name", "pk")

    def get_serializer_class(self):
        if self.action == "create":
            return shapes.FounderCreateSerializer
        return shapes.FounderSerializer

    def with_related(self, rows):
        shared = details_shared(self.request.user, "founder")
        return (
            super()
            .with_related(rows)
            .annotate(details_shared=ExpressionWrapper(shared, output_field=BooleanField()))
        )

    def shown_rows(self) -> list:
        # Only the founders whose details the response holds.
        return [founder for founder in self.shown if getattr(founder, "details_shared", False)]

    def perform_create(self, serializer):
        serializer.instance = do_create_founder(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = do_update_founder(
            self.request.user, serializer.instance, **serializer.validated_data
        )


@extend_schema_view(
    partial_update=extend_schema(
        description=(
            "Correct a session with the fields sent. The phone app sets a follow-up this way: "
            '{"follow_up_on": "YYYY-MM-DD"} with If-Match: the session\'s ETag as the phone '
            "read it. 412 (what changed, and the version now) if the session changed since; "
            "404 if the caller may no longer see it; 403 if the caller's operator did not "
            "log it or the caller may not change records there."
        ),
        examples=[
            OpenApiExample("Follow-up", value={"follow_up_on": "2026-12-07"}, request_only=True)
        ],
    )
)
class GuidanceSessionViewSet(
    idempotency.IdempotentUpdate,
    concurrency.VersionedUpdate,
    LogsConsentReads,
    mixins.UpdateModelMixin,
    RecordViewSet,
):
    """Guidance sessions: those the caller's operator logged, and others' only where the
    subject consented to share them (``crm.queries.sessions_visible_to``). Only the operator
    that logged a session may correct it (403 for others); subject and operator stay."""

    model = GuidanceSession
    read_kind = ConsentAccess.Record.SESSION
    select = ("company", "founder", "operator", "municipality")
    prefetch = (Prefetch("consultants", queryset=get_user_model().objects.only("pk")),)
    serializer_class = shapes.GuidanceSessionSerializer
    filterset_class = filters.GuidanceSessionFilter
    ordering = ("-date", "-pk")

    def get_queryset(self):
        return sessions_visible_to(self.request.user).prefetch_related(*self.prefetch)

    @extend_schema(
        responses={
            201: shapes.GuidanceSessionSerializer,
            412: OpenApiResponse(
                concurrency.StaleSerializer,
                description="company_version/founder_version: the subject changed since.",
            ),
        },
        parameters=[idempotency.KEY_PARAMETER],
    )
    def create(self, request, *args, **kwargs):
        """Log a session. With ``company_version`` (or ``founder_version``), the subject's
        ETag as the caller read it: 412 and what changed if it changed since, nothing
        written."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = do_log_session(self.request.user, data.pop("subject"), **data)

    def perform_update(self, serializer):
        serializer.instance = do_update_session(
            self.request.user, serializer.instance, **serializer.validated_data
        )


class ConsentViewSet(RecordViewSet):
    """Consents as evidence (``crm.consents``). One recorded by an operator that has not
    guided the subject opens nothing until the subject confirms it through the e-mailed link
    or an operator holding records of it accepts it (``accept``); ``state`` says which."""

    model = Consent
    select = ("company__municipality", "founder__municipality", "correction")
    prefetch = ("operators", "acceptances")
    serializer_class = shapes.ConsentSerializer
    filterset_class = filters.ConsentFilter
    ordering = ("-given_on", "-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        subject = data.pop("subject")
        serializer.instance = consents.do_record_consent(self.request.user, subject, **data)

    @extend_schema(request=shapes.WithdrawConsentSerializer, responses=shapes.ConsentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw the consent: from the next request on, it opens nothing."""
        consent = self.get_object()
        form = shapes.WithdrawConsentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        on = form.validated_data.get("on", timezone.localdate())
        consent = consents.do_withdraw_consent(request.user, consent, on=on)
        return Response(self.get_serializer(consent).data)

    @extend_schema(request=None, responses=shapes.ConsentSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept, for your operator's records of the subject, a consent recorded by an
        operator that has not guided it (403 for the recording operator and for operators
        that do not work with the subject)."""
        consents.do_accept_consent(request.user, self.get_object())
        return Response(self.get_serializer(self.get_object()).data)


class NetworkViewSet(RecordViewSet):
    model = Network
    prefetch = ("municipalities", "members")
    serializer_class = shapes.NetworkSerializer
    filterset_class = filters.NetworkFilter
    ordering = ("name", "pk")

    def perform_create(self, serializer):
        serializer.instance = do_create_network(self.request.user, **serializer.validated_data)


class DevelopmentProjectViewSet(
    idempotency.IdempotentUpdate,
    concurrency.VersionedUpdate,
    LogsConsentReads,
    mixins.UpdateModelMixin,
    RecordViewSet,
):
    """Development projects; status and amount granted change over time, the company stays."""

    model = DevelopmentProject
    read_kind = ConsentAccess.Record.PROJECT
    serializer_class = shapes.DevelopmentProjectSerializer
    filterset_class = filters.DevelopmentProjectFilter
    ordering = ("-identified_on", "-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = do_add_project(self.request.user, data.pop("company"), **data)

    def perform_update(self, serializer):
        serializer.instance = do_update_project(
            self.request.user, serializer.instance, **serializer.validated_data
        )


class ProgrammeEnrolmentViewSet(LogsConsentReads, RecordViewSet):
    model = ProgrammeEnrolment
    read_kind = ConsentAccess.Record.PROGRAMME
    serializer_class = shapes.ProgrammeEnrolmentSerializer
    filterset_class = filters.ProgrammeEnrolmentFilter
    ordering = ("-started_on", "-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = do_enrol_programme(self.request.user, data.pop("subject"), **data)


router = Router()
router.register("municipalities", MunicipalityViewSet, basename="api-municipality")
router.register("companies", CompanyViewSet, basename="api-company")
router.register("contacts", ContactPersonViewSet, basename="api-contact")
router.register("founders", FounderViewSet, basename="api-founder")
router.register("sessions", GuidanceSessionViewSet, basename="api-session")
router.register("consents", ConsentViewSet, basename="api-consent")
router.register("networks", NetworkViewSet, basename="api-network")
router.register("projects", DevelopmentProjectViewSet, basename="api-project")
router.register("enrolments", ProgrammeEnrolmentViewSet, basename="api-enrolment")

# The migration import and the merge (crm.imports_api): after the router, which they extend.
from crm.imports_api import ImportViewSet, MergeViewSet  # noqa: E402

router.register("imports", ImportViewSet, basename="api-import")
router.register("merges", MergeViewSet, basename="api-merge")
