"""The reports API (/api/v1/reports/): the PDF reports a caller may see, asking for a
contract's result report, and downloading a rendered one. The same rules as the pages:
``reporting.views.access_report`` for one report, the list of ``report_list``."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from crm.api import ServiceErrors
from crm.filters import id_filter
from crm.routers import Router
from crm.services import DomainError
from reporting import serializers as shapes
from reporting import services
from reporting.models import Report
from reporting.queries import reports_visible_to
from reporting.views import access_report


class ReportFilter(filters.FilterSet):
    contract = id_filter("contract")

    class Meta:
        model = Report
        fields = ["contract", "kind", "state"]


class ReportViewSet(
    ServiceErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reports: read as on the pages; officials may ask for a contract's annual or
    half-yearly report, rendered in Celery (poll the report until ``state`` is done);
    managers write an annual report's goal comments and publish it."""

    serializer_class = shapes.ReportSerializer
    filterset_class = ReportFilter
    ordering = ("-created_at", "-pk")

    def get_queryset(self):
        return reports_visible_to(self.request.user)

    def get_object(self):
        # 404 outside the caller's contracts and companies; a settlement needs a manager.
        return access_report(self.request.user, self.kwargs["pk"])

    @extend_schema(request=shapes.ReportRequestSerializer, responses={201: shapes.ReportSerializer})
    def create(self, request):
        """Ask for a contract's report: the half-year follow-up (members; its period given or
        derived), the annual report (managers; a draft until published)."""
        form = shapes.ReportRequestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        report = services.request_report(
            request.user,
            kind=data["kind"],
            contract=data["contract"],
            start=data.get("period_start"),
            end=data.get("period_end"),
        )
        body = self.get_serializer(report).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=shapes.ReportCommentsSerializer, responses=shapes.ReportSerializer)
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        """A manager's comments per goal on a draft annual report; renders the preview again."""
        report = self.get_object()
        form = shapes.ReportCommentsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.do_comment_report(request.user, report, form.validated_data["comments"])
        return Response(self.get_serializer(report).data)

    @extend_schema(request=None, responses=shapes.ReportSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a previewed draft annual report: officials see it from now on."""
        report = services.do_publish_report(request.user, self.get_object())
        return Response(self.get_serializer(report).data)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF"),
            404: OpenApiResponse(description="Ikke klar endnu, eller ikke din."),
        }
    )
    @action(detail=True)
    def file(self, request, pk=None):
        """The rendered PDF."""
        report = self.get_object()
        if report.state != Report.State.DONE:
            raise NotFound(_("Rapporten er ikke klar endnu."))
        try:
            services.check_file_available(report)
        except DomainError as error:  # a consent it was read on no longer holds
            return Response({"detail": str(error)}, status=status.HTTP_410_GONE)
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.file.name.rsplit("/", 1)[-1],
            content_type="application/pdf",
        )


router = Router()
router.include_root_view = False
router.register("reports", ReportViewSet, basename="api-report")
