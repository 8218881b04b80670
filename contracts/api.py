"""The contracts API (/api/v1/): contracts, goals, attainment snapshots, user evaluations and
the honorarium settlement. A second interface over the same scopes and services as the pages.

A contract is visible to every member of a municipality it covers (the viewer role
included: officials follow the goals); elsewhere it answers 404 like a missing one. Changing
it, its goals and its milestones, computing, importing and settling need
``contracts.services.check_can_manage``: 403 without it.
"""

from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from contracts import evaluations, services
from contracts import serializers as shapes
from contracts.definitions import goal_definitions
from contracts.models import Contract, Evaluation, Goal, Snapshot
from contracts.tasks import compute_contract_attainment
from contracts.views import access_contract
from crm import concurrency
from crm.api import ServiceErrors
from crm.filters import id_filter, municipality_filter
from crm.models import Municipality
from crm.permissions import MEMBER
from crm.routers import Router
from crm.spreadsheets import CONTENT_TYPES, file_response


class HoldsManage(IsAuthenticated):
    """For endpoints without a contract in the URL: "manage_contracts" in at least one
    municipality, or 403."""

    def has_permission(self, request, view) -> bool:
        return (
            super().has_permission(request, view)
            and Municipality.objects.for_user(request.user, services.MANAGE).exists()
        )


def visible_contracts(user):
    return Contract.objects.visible_to(user, MEMBER)


# --- Contracts -----------------------------------------------------------------------------


class ContractFilter(filters.FilterSet):
    municipality = municipality_filter("municipalities__code")

    class Meta:
        model = Contract
        fields = ["municipality", "status", "kind"]


class ContractViewSet(
    concurrency.VersionedUpdate,
    ServiceErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts covering the caller's municipalities. Managers create them (POST: 403
    without "manage_contracts" anywhere; parties and municipalities among those they may
    attach, else 400), and managers of the parties change them (PATCH), start a computation
    of the goals and read the honorarium settlement."""

    filterset_class = ContractFilter
    ordering = ("-starts_on", "-pk")
    http_method_names = ["get", "post", "patch", "head", "options"]
    manage_actions = {"partial_update", "compute", "settlement", "evaluation_export"}

    def get_permissions(self):
        if self.action == "create":
            return [HoldsManage()]
        return super().get_permissions()

    def get_serializer_class(self):
        if self.action in {"create", "partial_update"}:
            return shapes.ContractWriteSerializer
        return shapes.ContractSerializer

    def perform_create(self, serializer):
        serializer.instance = services.do_create_contract(
            self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.do_update_contract(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    def get_queryset(self):
        return (
            visible_contracts(self.request.user)
            .select_related("oversight")
            .prefetch_related("parties", "municipalities")
        )

    def get_object(self):
        return access_contract(
            self.request.user, self.kwargs["pk"], manage=self.action in self.manage_actions
        )

    @extend_schema(request=None, responses={202: shapes.ComputeSerializer})
    @action(detail=True, methods=["post"])
    def compute(self, request, pk=None):
        """Compute the goal attainment as of today in Celery; follow it on …/run/."""
        contract = self.get_object()
        as_of = timezone.localdate()
        compute_contract_attainment.delay(contract.pk, as_of.isoformat())
        body = {"as_of": as_of, "run": contract.runs.first()}
        return Response(shapes.ComputeSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            200: shapes.RunSerializer,
            404: OpenApiResponse(description="Ikke beregnet endnu, eller ikke din kommune."),
        }
    )
    @action(detail=True)
    def run(self, request, pk=None):
        """The latest computation of the contract's goals (poll it while it runs)."""
        run = self.get_object().runs.first()
        if run is None:
            raise NotFound(_("Ikke beregnet endnu."))
        return Response(shapes.RunSerializer(run).data)

    @extend_schema(
        parameters=[shapes.SettlementQuerySerializer], responses=shapes.SettlementSerializer
    )
    @action(detail=True)
    def settlement(self, request, pk=None):
        """What the specialised service owes the local one for a period (seed 001 §8), with
        the registrations it pays for (ids, masked CPR numbers, company names)."""
        contract = self.get_object()
        query = shapes.SettlementQuerySerializer(
            data=request.query_params, context={"contract": contract}
        )
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        lines, total = services.settlement(contract, start, end, user=request.user)
        body = {"start": start, "end": end, "lines": lines, "total": total}
        return Response(shapes.SettlementSerializer(body).data)

    @extend_schema(responses=shapes.GoalDefinitionSerializer(many=True))
    @action(detail=True, filter_backends=[], pagination_class=None)
    def definitions(self, request, pk=None):
        """Each goal's published definition, as on the contract's definitions page: the
        clause, what counts and what does not, whose records, the unit, the parameters in
        words, and the numerator and denominator behind the newest total."""
        contract = self.get_object()
        prefetch_related_objects([contract], "goals__local_targets__municipality")
        definitions = goal_definitions(contract)
        return Response(shapes.GoalDefinitionSerializer(definitions, many=True).data)

    @extend_schema(
        parameters=[shapes.EvaluationExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, url_path="evaluation-export", url_name="evaluation-export")
    def evaluation_export(self, request, pk=None):
        """The companies to be evaluated (guided by the caller's operator in the contract's
        municipalities in the period, with consent) as CSV or XLSX in the evaluation
        import's columns; founders are left out, so no CPR number leaves this way."""
        contract = self.get_object()
        query = shapes.EvaluationExportQuerySerializer(
            data=request.query_params, context={"contract": contract}
        )
        query.is_valid(raise_exception=True)
        return file_response(
            *evaluations.export_file(request.user, contract, **query.validated_data)
        )


# --- Goals ---------------------------------------------------------------------------------


class GoalFilter(filters.FilterSet):
    contract = id_filter("contract")

    class Meta:
        model = Goal
        fields = ["contract", "indicator", "is_milestone"]


class GoalViewSet(
    ServiceErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The goals of the visible contracts; managers add and change them and judge
    milestones."""

    filterset_class = GoalFilter
    ordering = ("contract_id", "pk")
    http_method_names = ["get", "post", "patch", "head", "options"]
    manage_actions = {"partial_update", "judge"}

    def get_queryset(self):
        return Goal.objects.filter(contract__in=visible_contracts(self.request.user).values("pk"))

    def get_serializer_class(self):
        if self.action == "partial_update":
            return shapes.GoalUpdateSerializer
        return shapes.GoalSerializer

    def get_object(self):
        goal = super().get_object()  # 404 outside the caller's contracts
        if self.action in self.manage_actions:
            services.check_can_manage(self.request.user, goal.contract)
        return goal

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        contract = fields.pop("contract")
        serializer.instance = services.do_add_goal(self.request.user, contract, **fields)

    def perform_update(self, serializer):
        serializer.instance = services.do_update_goal(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        methods=["put"],
        request=shapes.GoalTargetsSerializer,
        responses=shapes.GoalTargetsSerializer,
    )
    @extend_schema(methods=["get"], responses=shapes.GoalTargetsSerializer)
    @action(detail=True, methods=["get", "post"])
    def targets(self, request, pk=None):
        """The goal's own target per municipality (``GoalTarget``). POST, for managers of
        the parties: the targets of the municipalities named (a null target removes one);
        a municipality outside the contract is refused (400)."""
        goal = self.get_object()
        if request.method == "POST":
            services.check_can_manage(request.user, goal.contract)
            body = shapes.GoalTargetsSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.do_set_goal_targets(request.user, goal, targets_by_municipality(body))
        targets = goal.local_targets.select_related("municipality")
        return Response(shapes.GoalTargetsSerializer({"targets": targets}).data)

    @extend_schema(request=shapes.JudgeSerializer, responses=shapes.GoalSerializer)
    @action(detail=True, methods=["post"])
    def judge(self, request, pk=None):
        """Judge a milestone, with the evidence it is judged on."""
        goal = self.get_object()
        form = shapes.JudgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        goal = services.judge_milestone(request.user, goal, **form.validated_data)
        return Response(shapes.GoalSerializer(goal, context=self.get_serializer_context()).data)


def targets_by_municipality(body) -> dict:
    """Municipality -> target from the posted codes; an unknown code is refused (400), one
    outside the contract by the service."""
    rows = body.validated_data["targets"]
    codes = [row["municipality"] for row in rows]
    found = {m.code: m for m in Municipality.objects.filter(code__in=codes)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValidationError({"targets": [_("Ukendt kommunekode: %s.") % ", ".join(unknown)]})
    return {found[row["municipality"]]: row["target"] for row in rows}


# --- Snapshots -----------------------------------------------------------------------------


class SnapshotFilter(filters.FilterSet):
    contract = id_filter("goal__contract")
    goal = id_filter("goal")
    municipality = municipality_filter()
    total = filters.BooleanFilter(
        field_name="municipality",
        lookup_expr="isnull",
        label=gettext_lazy("Kun totaler (true) eller kun kommuner (false)"),
    )

    class Meta:
        model = Snapshot
        fields = ["contract", "goal", "as_of", "municipality", "total", "status"]


class SnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    """Goal attainment as computed: aggregates only, readable by every member of the
    contract's municipalities (officials included)."""

    serializer_class = shapes.SnapshotSerializer
    filterset_class = SnapshotFilter
    ordering = ("-as_of", "-pk")

    def get_queryset(self):
        contracts = visible_contracts(self.request.user).values("pk")
        return Snapshot.objects.filter(goal__contract__in=contracts).select_related(
            "goal", "municipality"
        )


# --- Evaluations ---------------------------------------------------------------------------


class EvaluationFilter(filters.FilterSet):
    municipality = municipality_filter()
    answered_from = filters.DateFilter(field_name="answered_on", lookup_expr="gte")
    answered_to = filters.DateFilter(field_name="answered_on", lookup_expr="lte")

    class Meta:
        model = Evaluation
        fields = ["municipality", "answered_from", "answered_to", "satisfaction", "effect"]


class EvaluationViewSet(ServiceErrors, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Answers of the national user evaluation in the caller's municipalities, without the
    company they may name; managers import a file of them."""

    serializer_class = shapes.EvaluationSerializer
    filterset_class = EvaluationFilter
    ordering = ("-answered_on", "-pk")

    def get_queryset(self):
        municipalities = Municipality.objects.for_user(self.request.user, MEMBER)
        return Evaluation.objects.filter(municipality__in=municipalities).select_related(
            "operator", "municipality"
        )

    @extend_schema(
        request={"multipart/form-data": shapes.EvaluationImportSerializer},
        responses={
            200: shapes.ImportResultSerializer,
            201: shapes.ImportResultSerializer,
            400: shapes.ImportRefusedSerializer,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        permission_classes=[HoldsManage],
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request):
        """Import a CSV or XLSX of answers in the municipalities the caller manages, as the
        contract page does. ``dry_run``: 200 with every bad row, nothing written. Otherwise
        all or nothing: bad rows refuse the file (400, ``errors`` with every line); on
        success (201) the affected contracts' goals are recomputed in Celery."""
        form = shapes.EvaluationImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            result = evaluations.import_evaluations(
                request.user,
                upload.read(),
                source=upload.name,
                dry_run=form.validated_data["dry_run"],
            )
        except evaluations.ImportRefused as error:
            errors = shapes.RowErrorSerializer(error.errors, many=True).data
            return Response({"detail": str(error), "errors": errors}, status=400)
        code = status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED
        return Response(shapes.ImportResultSerializer(result).data, status=code)


# No root view of its own: /api/v1/ is crm.api's root, which this one would only shadow.
router = Router()
router.include_root_view = False
router.register("contracts", ContractViewSet, basename="api-contract")
router.register("goals", GoalViewSet, basename="api-goal")
router.register("snapshots", SnapshotViewSet, basename="api-snapshot")
router.register("evaluations", EvaluationViewSet, basename="api-evaluation")
