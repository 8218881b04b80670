"""Input and output of the contracts API. Serializers only shape data: the rules live in
``contracts.services``, the scopes in ``Contract.objects.visible_to``.

Officials (the viewer role) read contracts, goals, snapshots and evaluations: aggregates and
contract text only, never a company or a person. The settlement, for managers, names its
evidence by id with a masked CPR number or a company name, never a full CPR number.
"""

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts import indicators, services
from contracts.models import AttainmentRun, Contract, Evaluation, Goal, PaymentRule, Snapshot
from crm.models import Company, Founder, Operator
from crm.permissions import MEMBER
from crm.serializers import ScopedPrimaryKeyRelatedField
from crm.services import DomainError


def contracts_of(user):
    return Contract.objects.visible_to(user, MEMBER)


# One named schema per choice set shared by several fields or serializers: generated per
# field name, the same choices would get several names (a spectacular warning).
@extend_schema_field(
    {"type": "string", "enum": Goal.MilestoneStatus.values}, component_name="MilestoneStatus"
)
class MilestoneStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Goal.MilestoneStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Contract.Status.values}, component_name="ContractStatus"
)
class ContractStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Contract.Status.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Snapshot.Status.values}, component_name="AttainmentStatus"
)
class AttainmentStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Snapshot.Status.choices, read_only=True, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Contract.Kind.values}, component_name="ContractKind"
)
class ContractKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(choices=Contract.Kind.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Operator.Kind.values}, component_name="OperatorKind"
)
class OperatorKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Operator.Kind.choices, read_only=True, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": PaymentRule.Kind.values}, component_name="PaymentRuleKind"
)
class PaymentRuleKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PaymentRule.Kind.choices, read_only=True, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Goal.TargetKind.values}, component_name="GoalTargetKind"
)
class TargetKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Goal.TargetKind.choices, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class ContractField(ScopedPrimaryKeyRelatedField):
    """A contract the caller sees; another id answers 400 "does not exist"."""

    def __init__(self, **kwargs):
        super().__init__(contracts_of, **kwargs)


# --- Contracts -----------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    kind = OperatorKindField()

    class Meta:
        model = Operator
        fields = ["id", "name", "kind"]


class ContractSerializer(serializers.ModelSerializer):
    """A contract as read by every member of its municipalities; managers change the title,
    status, period, budget and hourly rate."""

    kind = ContractKindField()
    status = ContractStatusField(required=False)
    parties = PartySerializer(many=True, read_only=True)
    oversight = serializers.CharField(
        source="oversight.name", read_only=True, default=None, allow_null=True
    )
    municipalities = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "starts_on",
            "ends_on",
            "parties",
            "oversight",
            "municipalities",
            "budget",
            "hourly_rate",
            "source",
        ]
        read_only_fields = ["source"]

    def validate(self, attrs):
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError({"ends_on": _("Slutdatoen ligger før starten.")})
        return attrs


class AttachableOperatorField(serializers.PrimaryKeyRelatedField):
    """An operator the caller may attach (``services.attachable_operators``); another id
    answers 400 "does not exist", like one that does not."""

    def get_queryset(self):
        return services.attachable_operators(self.context["request"].user, self.root.instance)


class AttachableMunicipalityField(serializers.SlugRelatedField):
    """A municipality code the caller may attach (``services.attachable_municipalities``)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        return services.attachable_municipalities(self.context["request"].user, self.root.instance)


class ContractWriteSerializer(ContractSerializer):
    """What a manager sends to create (POST) or change (PATCH) a contract: the parties and the
    oversight body by operator id, the municipalities by code, each among those the caller
    may attach. The answer is the contract as read."""

    kind = ContractKindField(read_only=False)
    parties = serializers.ManyRelatedField(
        child_relation=AttachableOperatorField(), help_text=_("Parternes operatør-id'er.")
    )
    oversight = AttachableOperatorField(
        required=False, allow_null=True, help_text=_("Tilsynets operatør-id.")
    )
    municipalities = serializers.ManyRelatedField(
        child_relation=AttachableMunicipalityField(), help_text=_("Kommunekoder.")
    )

    def to_representation(self, instance):
        return ContractSerializer(instance, context=self.context).data


class RunSerializer(serializers.ModelSerializer):
    """A computation of a contract's goal attainment (the error text stays in the admin)."""

    class Meta:
        model = AttainmentRun
        fields = ["id", "as_of", "state", "started_at", "finished_at"]


class ComputeSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text=_("Datoen målopfyldelsen beregnes pr."))
    run = RunSerializer(
        allow_null=True,
        help_text=_("Den seneste beregning: følg den på …/run/ til den er færdig."),
    )


# --- Goals ---------------------------------------------------------------------------------


class GoalSerializer(serializers.ModelSerializer):
    """A goal of a contract; ``indicator`` is a name from the catalogue (blank for a
    milestone or a value reported from outside the CRM)."""

    contract = ContractField()
    indicator = serializers.ChoiceField(
        choices=[("", "-"), *[(name, name) for name in sorted(indicators.CATALOGUE)]],
        allow_blank=True,
        required=False,
    )
    params = serializers.JSONField(
        required=False, help_text=_('Indikatorens parametre, fx {"kind": "full"}.')
    )
    target_kind = TargetKindField(required=False)
    milestone_status = MilestoneStatusField(read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "contract",
            "number",
            "title",
            "text",
            "indicator",
            "params",
            "target_kind",
            "target",
            "per_municipality",
            "every_municipality",
            "measures",
            "strict",
            "starts_on",
            "ends_on",
            "comment",
            "is_milestone",
            "milestone_status",
            "evidence",
            "judged_at",
            "external_value",
            "external_source",
        ]
        read_only_fields = ["evidence", "judged_at"]

    def validate(self, attrs):
        indicator = attrs.get("indicator", getattr(self.instance, "indicator", ""))
        params = attrs.get("params", getattr(self.instance, "params", {}))
        if indicator:
            try:
                services.check_goal_indicator(indicator, params)
            except DomainError as error:
                raise serializers.ValidationError({"params": [str(error)]}) from error
        return attrs


class GoalUpdateSerializer(GoalSerializer):
    """A goal stays in its contract."""

    contract = serializers.PrimaryKeyRelatedField(read_only=True)


class JudgeSerializer(serializers.Serializer):
    status = MilestoneStatusField()
    evidence = serializers.CharField(help_text=_("Hvad milepælen er vurderet på."))


# --- Snapshots and evaluations -------------------------------------------------------------


class SnapshotSerializer(serializers.ModelSerializer):
    """A goal's value as of a date, for one municipality or (``municipality`` null) the
    contract's municipalities together."""

    contract = serializers.IntegerField(source="goal.contract_id", read_only=True)
    municipality = serializers.CharField(
        source="municipality.code", read_only=True, default=None, help_text=_("Kommunekode")
    )
    status = AttainmentStatusField()

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "contract",
            "goal",
            "as_of",
            "municipality",
            "value",
            "numerator",
            "denominator",
            "target",
            "attainment",
            "status",
            "computed_at",
        ]


class EvaluationSerializer(serializers.ModelSerializer):
    """One answer of the user evaluation, without the company it may name."""

    operator = serializers.CharField(source="operator.name", read_only=True)
    municipality = serializers.CharField(source="municipality.code", read_only=True)
    # A plain string: the uptake choice set already has its schema name in the referrals API.
    referral_used = serializers.CharField(
        read_only=True, help_text=_("used, expects, not_used, unknown eller tom")
    )

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "operator",
            "municipality",
            "answered_on",
            "segment",
            "themes",
            "satisfaction",
            "nps",
            "effect",
            "referral_used",
            "source",
        ]


class EvaluationImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "CSV i UTF-8 (; eller ,) eller XLSX med kolonnerne operator, municipality_code, "
            "answered_on (dd.mm.åååå) og gerne cvr, cpr, name, session_id, segment, themes, "
            "satisfaction, nps, effect, referral_used (se README: Evaluation import)."
        )
    )
    dry_run = serializers.BooleanField(
        default=False, help_text=_("Tjek filen og list alle fejl uden at gemme noget.")
    )


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Antal indlæste (ved tjek: gyldige) svar."))
    dry_run = serializers.BooleanField()
    errors = RowErrorSerializer(many=True, help_text=_("Hver fejlbehæftet række."))
    uptakes = serializers.IntegerField(
        help_text=_("Henvisninger, hvis brug af rådgivning blev registreret fra svarene.")
    )
    contracts = serializers.ListField(
        child=serializers.IntegerField(),
        source="contract_ids",
        help_text=_("Kontrakter, hvis målopfyldelse genberegnes."),
    )


class ImportRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True)


# --- Settlement ----------------------------------------------------------------------------


class SettlementQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=_("Fra (standard: kontraktens start)"))
    end = serializers.DateField(required=False, help_text=_("Til (standard: kontraktens slut)"))

    def validate(self, attrs):
        contract = self.context["contract"]
        attrs.setdefault("start", contract.starts_on)
        attrs.setdefault("end", contract.ends_on)
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("Slutdatoen ligger før starten.")})
        return attrs


class EvaluationExportQuerySerializer(SettlementQuerySerializer):
    # Not "format": DRF reads that query parameter to pick a renderer.
    file_format = serializers.ChoiceField(
        choices=["csv", "xlsx"], default="csv", help_text=_("csv eller xlsx")
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["format"] = attrs.pop("file_format")
        return attrs


class EvidenceSerializer(serializers.Serializer):
    """A registration the settlement pays for: a founder (by masked CPR number) or a
    company up to three years after its start (by name), dated by its first paid guidance,
    or a referral (by the company's name, or the founder's masked CPR number, dated when
    sent), with the amount paid for it."""

    id = serializers.IntegerField()
    date = serializers.DateField(source="on")
    masked_cpr = serializers.SerializerMethodField()
    company_name = serializers.SerializerMethodField()
    amount = serializers.DecimalField(source="paid", max_digits=10, decimal_places=2)

    def get_masked_cpr(self, item) -> str | None:
        founder = item if isinstance(item, Founder) else getattr(item, "founder", None)
        return founder.masked_cpr if founder else None

    def get_company_name(self, item) -> str | None:
        if isinstance(item, Company):
            return item.name
        company = None if isinstance(item, Founder) else item.company
        return company.name if company else None


class SettlementLineSerializer(serializers.Serializer):
    kind = PaymentRuleKindField(source="rule.kind")
    amount_per_item = serializers.DecimalField(
        source="rule.amount",
        max_digits=10,
        decimal_places=2,
        help_text=_("Beløbet pr. registrering, eller loftet når der betales efter timer."),
    )
    count = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    evidence = EvidenceSerializer(many=True)

    def get_count(self, line) -> int:
        return len(line.evidence)


class SettlementSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    lines = SettlementLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


# --- Published definitions and per-municipality targets -------------------------------------


class DescribedParameterSerializer(serializers.Serializer):
    """One parameter of a goal, in words."""

    label = serializers.CharField()
    value = serializers.CharField()

    def to_representation(self, instance):
        label, value = instance
        return {"label": str(label), "value": str(value)}


class CurrentValueSerializer(serializers.ModelSerializer):
    """The newest total of a goal: its value and what it was computed from."""

    status = AttainmentStatusField()

    class Meta:
        model = Snapshot
        fields = ["as_of", "value", "numerator", "denominator", "target", "forecast", "status"]


class LocalTargetSerializer(serializers.Serializer):
    municipality = serializers.CharField(help_text=_("Kommunekode"))
    name = serializers.CharField(read_only=True)
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    def to_representation(self, instance):
        return {
            "municipality": instance.municipality.code,
            "name": instance.municipality.name,
            "target": serializers.DecimalField(max_digits=12, decimal_places=2).to_representation(
                instance.target
            ),
        }


class GoalDefinitionSerializer(serializers.Serializer):
    """A goal's published definition: the clause it serves, what counts and what does not,
    whose records, the unit, and the numerator and denominator behind its current value. A
    milestone or an externally reported goal has no indicator and says how it is judged."""

    goal = serializers.IntegerField(source="goal.pk")
    number = serializers.CharField(source="goal.number")
    title = serializers.CharField(source="goal.title")
    clause = serializers.CharField(source="goal.text", help_text=_("Kontraktens tekst"))
    indicator = serializers.CharField(source="goal.indicator")
    label = serializers.CharField(source="indicator.label", allow_null=True)
    unit = serializers.CharField(source="indicator.unit", allow_null=True)
    counts = serializers.CharField(source="indicator.counts", allow_null=True)
    excludes = serializers.ListField(child=serializers.CharField())
    is_share = serializers.BooleanField(source="indicator.is_share", allow_null=True)
    numerator = serializers.CharField(source="indicator.numerator", allow_null=True)
    denominator = serializers.CharField(source="indicator.denominator", allow_null=True)
    parameters = DescribedParameterSerializer(many=True)
    measured = serializers.ListField(
        child=serializers.CharField(), help_text=_("Operatørerne, hvis registreringer tæller")
    )
    measured_role = serializers.CharField()
    how = serializers.CharField(help_text=_("Sådan vurderes en milepæl eller et indberettet mål"))
    starts_on = serializers.SerializerMethodField()
    ends_on = serializers.SerializerMethodField()
    target_kind = TargetKindField(source="goal.target_kind")
    target = serializers.DecimalField(
        source="goal.target", max_digits=12, decimal_places=2, allow_null=True
    )
    strict = serializers.BooleanField(
        source="goal.strict", help_text=_("Mere end målet, ikke lig med")
    )
    local_targets = LocalTargetSerializer(source="goal.local_targets.all", many=True)
    milestone_status = MilestoneStatusField(source="goal.milestone_status")
    external_value = serializers.DecimalField(
        source="goal.external_value", max_digits=12, decimal_places=2, allow_null=True
    )
    current = CurrentValueSerializer(source="total", allow_null=True)

    def get_starts_on(self, definition) -> datetime.date:
        return definition.goal.period[0]

    def get_ends_on(self, definition) -> datetime.date:
        return definition.goal.period[1]


class GoalTargetsSerializer(serializers.Serializer):
    """The goal's target per municipality; a null target removes that municipality's."""

    targets = LocalTargetSerializer(many=True)
