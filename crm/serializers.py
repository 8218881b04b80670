"""Input and output of the records API. Serializers only shape data: the rules live in
``crm.services``, the scopes in the models' ``visible_to``.

Every writable foreign key is a ``ScopedPrimaryKeyRelatedField``: an id outside what the caller
may change answers 400 "does not exist", so a foreign row is neither written nor revealed.
A CPR number is accepted on create and never returned: responses carry ``masked_cpr``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm import cpr
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Municipality,
    Network,
    Operator,
    ProgrammeEnrolment,
)
from crm.models.subjects import GrowthLevel
from crm.permissions import ROLE_PERMISSIONS
from crm.register_sync import check_p_number_free
from crm.services import SESSION_RULE_FIELDS, operators_of, session_rule_errors
from crm.validators import validate_cvr

CHANGE = "change_records"
RECORDING_ROLES = [role for role, perms in ROLE_PERMISSIONS.items() if CHANGE in perms]


def municipalities_to_change(user):
    return Municipality.objects.for_user(user, CHANGE)


def companies_to_change(user):
    return Company.objects.visible_to(user, CHANGE)


def founders_to_change(user):
    return Founder.objects.visible_to(user, CHANGE)


def recorders_in(municipalities):
    """Users whose role lets them record in one of ``municipalities`` (the same rights
    ``crm.services.sync_operator_permissions`` grants)."""
    return (
        get_user_model()
        .objects.filter(
            memberships__role__in=RECORDING_ROLES,
            memberships__operator__active=True,
            memberships__operator__municipalities__in=municipalities,
        )
        .distinct()
    )


def colleagues_of(user):
    """The consultants a caller may name: users who record where the caller records."""
    return recorders_in(municipalities_to_change(user))


def operators_serving(municipalities):
    return Operator.objects.filter(active=True, municipalities__in=municipalities).distinct()


def consent_operators_for(user):
    """The operators a consent recorded by ``user`` may name."""
    return operators_serving(municipalities_to_change(user))


def outside(rows, allowed) -> bool:
    """Whether any of ``rows`` is missing from the queryset ``allowed`` (one query)."""
    pks = {row.pk for row in rows}
    return bool(pks) and allowed.filter(pk__in=pks).count() < len(pks)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to ``scope(user)`` of the requesting user."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


# One named schema for the two optional A/B/C fields (growth potential, screening result):
# generated per field name, the same choices would get two names (a spectacular warning).
@extend_schema_field(
    {"type": "string", "enum": ["", *GrowthLevel.values]}, component_name="OptionalGrowthLevel"
)
class OptionalGrowthLevelField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=GrowthLevel.choices, allow_blank=True, required=False, **kwargs)


class FixedOnUpdate:
    """Fields that say what a row is about (its company, founder, operator): written on
    create, read-only on update, so a change of them is ignored like any read-only field."""

    fixed_on_update: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            for name in self.fixed_on_update:
                fields[name] = serializers.PrimaryKeyRelatedField(read_only=True)
        return fields


class CompanySerializer(serializers.ModelSerializer):
    municipality = ScopedPrimaryKeyRelatedField(municipalities_to_change)
    growth_potential = OptionalGrowthLevelField()
    municipality_code = serializers.CharField(source="municipality.code", read_only=True)
    industry = serializers.StringRelatedField(
        source="industry_code", read_only=True, allow_null=True
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "cvr",
            "p_number",
            "name",
            "address",
            "postcode",
            "city",
            "municipality",
            "municipality_code",
            "industry_code",
            "industry",
            "employees",
            "employees_known_on",
            "started_on",
            "segment",
            "growth_potential",
            "growth_potential_set_at",
            "rural",
            "is_new",
            "is_micro",
            "status",
            "company_form",
            "employees_band",
            "industry_code_db07",
            "advertising_protected",
            "register_source",
            "register_checked_at",
            "created_at",
        ]
        read_only_fields = [
            "growth_potential_set_at",
            "register_source",
            "register_checked_at",
            "created_at",
        ]
        # No unique check here: a duplicate CVR number is the service's DuplicateRecord.
        extra_kwargs = {"cvr": {"validators": [validate_cvr]}}

    def validate_cvr(self, cvr: str) -> str:
        """Written on create only: a wrong CVR number is corrected by merging two companies."""
        if self.instance is not None and cvr != self.instance.cvr:
            raise serializers.ValidationError(_("CVR-nummeret kan ikke ændres efter oprettelsen."))
        return cvr

    def validate_p_number(self, p_number: str) -> str:
        try:
            check_p_number_free(p_number, self.instance)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return p_number


class ContactPersonSerializer(FixedOnUpdate, serializers.ModelSerializer):
    company = ScopedPrimaryKeyRelatedField(companies_to_change)
    fixed_on_update = ("company",)

    class Meta:
        model = ContactPerson
        fields = [
            "id",
            "company",
            "name",
            "role",
            "education",
            "phone",
            "email",
            "survey_consent",
            "left_on",
        ]


class FounderSerializer(serializers.ModelSerializer):
    """A founder as read and changed: the CPR number only masked (DDMMYY-xxxx)."""

    municipality = ScopedPrimaryKeyRelatedField(municipalities_to_change)
    municipality_code = serializers.CharField(source="municipality.code", read_only=True)
    masked_cpr = serializers.CharField(read_only=True)

    class Meta:
        model = Founder
        fields = [
            "id",
            "masked_cpr",
            "birth_date",
            "sex",
            "name",
            "address",
            "postcode",
            "city",
            "phone",
            "email",
            "survey_consent",
            "education",
            "municipality",
            "municipality_code",
            "company",
            "company_started_on",
            "born_abroad",
            "created_at",
        ]
        read_only_fields = ["company", "company_started_on", "created_at"]

    # Born abroad is purpose-bound (seed 004's breakdowns): with the details, not without.
    PRIVATE = [
        *("address", "postcode", "city", "phone", "email", "survey_consent", "education"),
        "born_abroad",
    ]

    def to_representation(self, founder):
        """Without consent, other operators get the registry facts only (``details_shared``,
        annotated by the view; a founder just written is its writer's to see)."""
        data = super().to_representation(founder)
        if not getattr(founder, "details_shared", True):
            data.update(dict.fromkeys(self.PRIVATE))
        return data


class FounderCreateSerializer(FounderSerializer):
    cpr_number = serializers.CharField(
        write_only=True,
        help_text=_("CPR-nummer (DDMMÅÅXXXX); gemmes krypteret og vises aldrig fuldt."),
    )

    class Meta(FounderSerializer.Meta):
        fields = ["cpr_number", *FounderSerializer.Meta.fields]

    def validate_cpr_number(self, value: str) -> str:
        try:
            return cpr.clean_cpr(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class SubjectSerializer(FixedOnUpdate, serializers.ModelSerializer):
    """A row about exactly one subject: a company or a founder the caller may change. The
    subject is named on create and stays."""

    company = ScopedPrimaryKeyRelatedField(companies_to_change, required=False, allow_null=True)
    founder = ScopedPrimaryKeyRelatedField(founders_to_change, required=False, allow_null=True)
    fixed_on_update = ("company", "founder")

    def validate(self, attrs):
        if self.instance is not None:
            return attrs
        company, founder = attrs.pop("company", None), attrs.pop("founder", None)
        if (company is None) == (founder is None):
            raise serializers.ValidationError(
                _("Angiv enten en virksomhed eller en iværksætter (ikke begge).")
            )
        attrs["subject"] = company or founder
        return attrs


class GuidanceSessionSerializer(SubjectSerializer):
    # An operator not the caller's (left since the phone app queued the session, say): the
    # service's words, not "invalid primary key".
    operator = ScopedPrimaryKeyRelatedField(
        operators_of,
        error_messages={
            "does_not_exist": _lazy("Du kan kun registrere vejledninger for din egen operatør.")
        },
    )
    consultants = ScopedPrimaryKeyRelatedField(colleagues_of, many=True, required=False)
    municipality_code = serializers.CharField(source="municipality.code", read_only=True)
    screening_result = OptionalGrowthLevelField()
    # The subject's version as the phone app read it (crm.concurrency): 412 if it changed since.
    company_version = serializers.CharField(write_only=True, required=False, max_length=64)
    founder_version = serializers.CharField(write_only=True, required=False, max_length=64)
    fixed_on_update = ("company", "founder", "operator")

    class Meta:
        model = GuidanceSession
        fields = [
            "id",
            "company",
            "founder",
            "operator",
            "consultants",
            "municipality",
            "municipality_code",
            "date",
            "tier",
            "channel",
            "kind",
            "themes",
            "hours_before",
            "hours_during",
            "hours_after",
            "content",
            "screening_done",
            "screening_result",
            "follow_up_on",
            "created_by",
            "created_at",
            "company_version",
            "founder_version",
        ]
        read_only_fields = ["municipality", "created_by", "created_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        versions = {kind: attrs.pop(f"{kind}_version", "") for kind in ("company", "founder")}
        if not self.instance:  # on create: the version of the session's own subject
            kind = "company" if isinstance(attrs["subject"], Company) else "founder"
            attrs["subject_version"] = versions[kind]
        # On update the session's own municipality: the subject's as it was on the day.
        municipality = (
            self.instance.municipality if self.instance else attrs["subject"].municipality
        )
        if outside(attrs.get("consultants", []), recorders_in([municipality])):
            raise serializers.ValidationError(
                {
                    "consultants": _("Konsulenten må ikke registrere i %(municipality)s.")
                    % {"municipality": municipality}
                }
            )
        # The session form's rules (crm.services), on the session as it will be saved.
        saved = self.instance or GuidanceSession()  # on create: the model's defaults
        session = {name: getattr(saved, name) for name in SESSION_RULE_FIELDS} | attrs
        errors = session_rule_errors(session, today=timezone.localdate(), stored_date=saved.date)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def contacts_to_name(user):
    return ContactPerson.objects.visible_to(user, CHANGE)


def consents_to_correct(user):
    return Consent.objects.visible_to(user, CHANGE)


class ConsentSerializer(SubjectSerializer):
    """A consent as evidence: who gave it (``given_by``, a contact person of the company; a
    founder gives its own), how (``method``; a signed form is uploaded as ``document`` in a
    multipart request), to whom and when. A correction names the consent it replaces
    (``corrects``) and why. ``state`` says whether it opens anything yet."""

    given_by = ScopedPrimaryKeyRelatedField(contacts_to_name, required=False, allow_null=True)
    operators = ScopedPrimaryKeyRelatedField(consent_operators_for, many=True, required=False)
    document = serializers.FileField(write_only=True, required=False)
    document_url = serializers.SerializerMethodField()
    corrects = ScopedPrimaryKeyRelatedField(consents_to_correct, required=False, allow_null=True)
    state = serializers.CharField(read_only=True)
    accepted_by = serializers.SerializerMethodField()
    link_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "company",
            "founder",
            "given_on",
            "given_by",
            "method",
            "document",
            "document_url",
            "scope",
            "operators",
            "operator",
            "recorded_by",
            "recorded_at",
            "corrects",
            "correction_reason",
            "state",
            "confirmation",
            "confirmed_at",
            "accepted_by",
            "link_open",
            "declined_at",
            "withdrawn_on",
        ]
        read_only_fields = [
            "operator",
            "recorded_by",
            "recorded_at",
            "confirmation",
            "confirmed_at",
            "declined_at",
            "withdrawn_on",
        ]
        extra_kwargs = {"method": {"required": True, "allow_blank": False}}

    def get_document_url(self, consent) -> str | None:
        return reverse("consent-document", args=[consent.pk]) if consent.document else None

    def get_accepted_by(self, consent) -> list[int]:
        """The operators that accepted the consent for their own records."""
        return [acceptance.operator_id for acceptance in consent.acceptances.all()]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        municipality = attrs["subject"].municipality
        if outside(attrs.get("operators", []), operators_serving([municipality])):
            raise serializers.ValidationError(
                {
                    "operators": _("Operatøren betjener ikke %(municipality)s.")
                    % {"municipality": municipality}
                }
            )
        return attrs


class WithdrawConsentSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text=_("Datoen samtykket blev tilbagekaldt (standard: i dag).")
    )


class NetworkSerializer(serializers.ModelSerializer):
    municipality = ScopedPrimaryKeyRelatedField(municipalities_to_change)
    municipalities = ScopedPrimaryKeyRelatedField(
        municipalities_to_change, many=True, required=False
    )
    members = ScopedPrimaryKeyRelatedField(companies_to_change, many=True, required=False)

    class Meta:
        model = Network
        fields = ["id", "name", "kind", "municipality", "municipalities", "members", "started_on"]


class DevelopmentProjectSerializer(FixedOnUpdate, serializers.ModelSerializer):
    company = ScopedPrimaryKeyRelatedField(companies_to_change)
    fixed_on_update = ("company",)

    class Meta:
        model = DevelopmentProject
        fields = [
            "id",
            "company",
            "municipality",
            "title",
            "identified_on",
            "funding",
            "application_help",
            "amount_applied",
            "amount_granted",
            "status",
        ]
        read_only_fields = ["municipality"]


class ProgrammeEnrolmentSerializer(SubjectSerializer):
    class Meta:
        model = ProgrammeEnrolment
        fields = [
            "id",
            "company",
            "founder",
            "municipality",
            "programme",
            "growth_level",
            "started_on",
        ]
        read_only_fields = ["municipality"]


class CompanyFromRegisterSerializer(serializers.Serializer):
    """A new company by its CVR number alone, its facts from the company register (the phone
    app's new company, typed offline). ``municipality``: where the register names none."""

    cvr = serializers.CharField(max_length=8, validators=[validate_cvr])
    municipality = ScopedPrimaryKeyRelatedField(
        municipalities_to_change, required=False, pk_field=serializers.IntegerField()
    )
