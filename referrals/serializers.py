"""Input and output of the referrals API. Serializers only shape data: the state machine and
who may act live in ``referrals.services``, the scopes in ``visible_to``.

As in ``crm.serializers``, every writable foreign key is limited to what the caller may name:
an id outside it answers 400 "does not exist", so a foreign row is neither written nor
revealed.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Notification, Operator
from crm.serializers import ScopedPrimaryKeyRelatedField, SubjectSerializer
from crm.services import operators_of
from referrals.models import Adviser, Referral, ReferralEvent

ADVISER = "adviser"
# A referral's target: the receiving operator's kind, or an external adviser.
TARGET_KINDS = [*Operator.Kind.choices, (ADVISER, _("Ekstern rådgiver"))]


# One named schema for a referral's state wherever it appears (state, from_state, to_state):
# generated per field name, the same choices would get three names (a spectacular warning).
@extend_schema_field(
    {"type": "string", "enum": Referral.State.values}, component_name="ReferralState"
)
class StateField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Referral.State.choices, read_only=True, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": ["", *Referral.State.values]},
    component_name="OptionalReferralState",
)
class OptionalStateField(StateField):
    """The state before a change: blank for the first event (sent)."""


class ReferralEventSerializer(serializers.ModelSerializer):
    from_state = OptionalStateField()
    to_state = StateField()

    class Meta:
        model = ReferralEvent
        fields = ["from_state", "to_state", "by", "at", "note"]


class ReferralSerializer(SubjectSerializer):
    """A referral as listed, and as sent: a company or a founder the caller may change, from
    one of the caller's operators, to an active operator or an adviser of the register."""

    sender_operator = ScopedPrimaryKeyRelatedField(operators_of)
    target_operator = serializers.PrimaryKeyRelatedField(
        queryset=Operator.objects.filter(active=True), required=False, allow_null=True
    )
    target_adviser = serializers.PrimaryKeyRelatedField(
        queryset=Adviser.objects.filter(active=True), required=False, allow_null=True
    )
    state = StateField()
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    municipality_code = serializers.CharField(source="municipality.code", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    target_kind = serializers.SerializerMethodField()
    deadline_status = serializers.CharField(
        read_only=True, help_text=_("“overdue” eller “today” mens fristen løber, ellers tom.")
    )
    kept_deadline = serializers.BooleanField(read_only=True, allow_null=True)
    # Empty ("") until an uptake is recorded.
    uptake = serializers.ChoiceField(
        choices=Referral.Uptake.choices, allow_blank=True, read_only=True
    )
    uptake_source = serializers.ChoiceField(
        choices=Referral.UptakeSource.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "company",
            "founder",
            "subject_name",
            "municipality",
            "municipality_code",
            "sender_operator",
            "sent_by",
            "target_operator",
            "target_adviser",
            "target_name",
            "target_kind",
            "reason",
            "themes",
            "after_screening",
            "state",
            "sent_at",
            "due_on",
            "deadline_status",
            "kept_deadline",
            "assignee",
            "contacted_at",
            "decline_reason",
            "uptake",
            "uptake_source",
            "uptake_recorded_at",
        ]
        read_only_fields = [
            "municipality",
            "sent_by",
            "sent_at",
            "due_on",
            "assignee",
            "contacted_at",
            "decline_reason",
            "uptake",
            "uptake_source",
            "uptake_recorded_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=TARGET_KINDS))
    def get_target_kind(self, referral: Referral) -> str:
        return referral.target_operator.kind if referral.target_operator_id else ADVISER


class ReferralDetailSerializer(ReferralSerializer):
    """One referral, with every change of its state."""

    events = ReferralEventSerializer(source="state_changes", many=True, read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "events"]


@extend_schema_field(OpenApiTypes.INT)
class AssigneeField(serializers.PrimaryKeyRelatedField):
    """A user of the referral's receiving operator: the only people it can be assigned to."""

    def get_queryset(self):
        operator = self.context["referral"].target_operator
        if operator is None:  # an external adviser: nobody to assign
            return get_user_model().objects.none()
        return (
            get_user_model()
            .objects.filter(memberships__operator=operator, is_active=True)
            .distinct()
        )


class AcceptSerializer(serializers.Serializer):
    assignee = AssigneeField(
        required=False,
        allow_null=True,
        help_text=_("Den ansvarlige hos modtageren (standard: den der accepterer)."),
    )


class AssignSerializer(serializers.Serializer):
    assignee = AssigneeField()


class DeclineSerializer(serializers.Serializer):
    # Blank is passed on: the service answers with its own message.
    reason = serializers.CharField(allow_blank=True, help_text=_("Begrundelse for afvisning."))


class UptakeSerializer(serializers.Serializer):
    uptake = serializers.ChoiceField(choices=Referral.Uptake.choices)


class AdviserSerializer(serializers.ModelSerializer):
    class Meta:
        model = Adviser
        fields = ["id", "name", "kind", "contact", "email", "phone", "active"]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
