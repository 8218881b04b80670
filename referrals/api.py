"""The referrals API (/api/v1/): referrals, the triage queue, the adviser register and the
caller's notifications. A second interface over the same scopes and services as the pages.

A referral is read through ``crm.permissions.access_scoped`` (404 outside the caller's
municipalities and operators, 403 inside without "view_records"); who may change it is the
services' party rule: their ``NotAllowed`` answers 403, every other refusal 400.
"""

import datetime

from django.db.models import DateField, Value
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm import concurrency
from crm.api import READ, RecordViewSet
from crm.models import Municipality, Notification
from crm.notifications import do_mark_read, unread_count
from crm.permissions import access_scoped
from crm.routers import Router
from referrals import queries, services
from referrals import serializers as shapes
from referrals.filters import NotificationFilter, ReferralFilter
from referrals.models import Adviser, Referral


def holds(perm: str) -> type[BasePermission]:
    """A permission: the caller holds ``perm`` in at least one municipality. For endpoints
    without a municipality of their own, so the answer is 403, never 404."""

    class Holds(BasePermission):
        def has_permission(self, request, view) -> bool:
            return Municipality.objects.for_user(request.user, perm).exists()

    return Holds


class ReferralViewSet(concurrency.Versioned, RecordViewSet):
    """Referrals the caller's operators sent or received, in the caller's municipalities.
    Sending and every change of state call the services the pages call."""

    model = Referral
    select = (
        "company",
        "founder",
        "municipality",
        "sender_operator",
        "target_operator",
        "target_adviser",
    )
    filterset_class = ReferralFilter

    @property
    def ordering(self):
        if self.action == "queue":  # as triage_queue: the oldest deadline first
            return ("deadline", "sent_at", "pk")
        return ("-sent_at", "-pk")

    def get_queryset(self):
        return queries.referrals_visible_to(self.request.user)

    def get_object(self):
        # Reading it needs "view_records"; who may change it is the services' rule.
        rows = self.with_related(Referral.objects.all())
        referral = access_scoped(self.request.user, rows, READ, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, referral)
        return referral

    def get_serializer_class(self):
        if self.action in ("list", "queue"):
            return shapes.ReferralSerializer
        return shapes.ReferralDetailSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        subject = data.pop("subject")
        serializer.instance = services.send_referral(self.request.user, subject, **data)

    @extend_schema(responses=shapes.ReferralSerializer(many=True))
    @action(detail=False, permission_classes=[IsAuthenticated, holds("triage_referrals")])
    def queue(self, request):
        """Open referrals to the caller's operators where the caller triages, the oldest
        deadline first (those without a deadline last)."""
        # A cursor needs a position on every row: referrals without a deadline get the last.
        deadline = Coalesce("due_on", Value(datetime.date.max), output_field=DateField())
        rows = queries.triage_queue(request.user).annotate(deadline=deadline)
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def change(self, request, service, form_class=None) -> Response:
        """Call ``service`` on the referral with the posted fields; answer the referral."""
        referral = self.get_object()
        fields = {}
        if form_class is not None:
            context = {**self.get_serializer_context(), "referral": referral}
            form = form_class(data=request.data, context=context)
            form.is_valid(raise_exception=True)
            fields = form.validated_data
        referral = service(request.user, referral, **fields)
        return Response(self.get_serializer(referral).data)

    @extend_schema(request=shapes.AcceptSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept (the receiver's triage staff) and assign, to the caller unless named."""
        return self.change(request, services.accept_referral, shapes.AcceptSerializer)

    @extend_schema(request=shapes.DeclineSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline with a reason (the receiver's triage staff); the sender is notified."""
        return self.change(request, services.decline_referral, shapes.DeclineSerializer)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def contacted(self, request, pk=None):
        """The receiver has contacted the company: this stops the deadline clock."""
        return self.change(request, services.mark_contacted)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self.change(request, services.complete_referral)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw (the sender) while the referral is sent or accepted."""
        return self.change(request, services.withdraw_referral)

    @extend_schema(request=shapes.AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a colleague at the receiving operator (its triage staff)."""
        return self.change(request, services.assign_referral, shapes.AssignSerializer)

    @extend_schema(request=shapes.UptakeSerializer)
    @action(detail=True, methods=["post"])
    def uptake(self, request, pk=None):
        """Whether the company used an external adviser's help (the sender records it)."""
        return self.change(request, services.record_uptake, shapes.UptakeSerializer)


class AdviserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The shared register of external advisers: read by everyone who records, kept by
    managers. No municipality of its own, so no 404 case: 403 without the right."""

    queryset = Adviser.objects.all()
    serializer_class = shapes.AdviserSerializer
    filterset_fields = ["kind", "active"]
    ordering = "name"

    def get_permissions(self):
        perm = READ if self.request.method in SAFE_METHODS else "manage_contracts"
        return [IsAuthenticated(), holds(perm)()]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own inbox; somebody else's notification is 404 like a missing one."""

    serializer_class = shapes.NotificationSerializer
    filterset_class = NotificationFilter
    ordering = ("-created_at", "-pk")

    def get_queryset(self):
        return Notification.objects.filter(recipient_id=self.request.user.pk)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        do_mark_read(request.user, notification)
        return Response(self.get_serializer(notification).data)

    @extend_schema(responses=shapes.UnreadCountSerializer)
    @action(detail=False)
    def unread_count(self, request):
        return Response({"count": unread_count(request.user)})


# No root view of its own: /api/v1/ is crm.api's root, which this one would only shadow.
router = Router()
router.include_root_view = False
router.register("referrals", ReferralViewSet, basename="api-referral")
router.register("advisers", AdviserViewSet, basename="api-adviser")
router.register("notifications", NotificationViewSet, basename="api-notification")
