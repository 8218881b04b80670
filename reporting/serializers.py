"""Input and output of the reports API. A report is a stored PDF request: who asked, for
what, and whether it is rendered; the PDF itself is the ``file`` action."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.serializers import ContractField
from reporting.models import Report

# What an official may ask for through the API: the result reports of a contract.
REQUESTABLE = [Report.Kind.ANNUAL, Report.Kind.HALF_YEAR]


@extend_schema_field({"type": "string", "enum": Report.Kind.values}, component_name="ReportKind")
class ReportKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Report.Kind.choices, read_only=True, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": [kind.value for kind in REQUESTABLE]},
    component_name="RequestableReportKind",
)
class RequestableKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=[(k.value, k.label) for k in REQUESTABLE], **kwargs)


class ReportSerializer(serializers.ModelSerializer):
    kind = ReportKindField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "contract",
            "company",
            "founder",
            "contact",
            "period_start",
            "period_end",
            "state",
            "created_by",
            "created_at",
            "finished_at",
            "published_at",
            "file_url",
        ]

    def get_file_url(self, report: Report) -> str | None:
        """Where the PDF is downloaded once it is rendered."""
        if report.state != Report.State.DONE:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api-report-file", args=[report.pk])
        )


class ReportRequestSerializer(serializers.Serializer):
    contract = ContractField()
    kind = RequestableKindField(
        help_text=_("annual (årsrapport) eller half_year (halvårlig opfølgning)")
    )
    period_start = serializers.DateField(
        required=False, help_text=_("Halvårlig opfølgning: periodens første dag")
    )
    period_end = serializers.DateField(
        required=False,
        help_text=_("Halvårlig opfølgning: periodens sidste dag (begge udeladt: halvåret)"),
    )


class ReportCommentsSerializer(serializers.Serializer):
    """The manager's comments on a draft annual report: goal id -> text (blank removes)."""

    comments = serializers.DictField(child=serializers.CharField(allow_blank=True))

    def validate_comments(self, value: dict) -> dict[int, str]:
        try:
            return {int(goal): text for goal, text in value.items()}
        except ValueError as error:
            raise serializers.ValidationError(_("Nøglerne er målenes id.")) from error
