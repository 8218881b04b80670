"""Filters of the referrals API (django-filter). Municipalities are named by their code."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from crm.filters import municipality_filter
from crm.models import Notification, Theme
from referrals.models import Referral
from referrals.serializers import ADVISER, TARGET_KINDS
from referrals.services import OPEN_STATES


class ReferralFilter(filters.FilterSet):
    municipality = municipality_filter()
    target_kind = filters.ChoiceFilter(
        choices=TARGET_KINDS,
        method="filter_target_kind",
        label=_("Henvist til: en operatørtype (fx hub) eller adviser (ekstern rådgiver)"),
    )
    overdue = filters.BooleanFilter(
        method="filter_overdue", label=_("Kun (true) eller ingen (false) med overskredet frist")
    )
    sent_from = filters.DateFilter(
        field_name="sent_at", lookup_expr="date__gte", label=_("Sendt fra dato")
    )
    sent_to = filters.DateFilter(
        field_name="sent_at", lookup_expr="date__lte", label=_("Sendt til og med dato")
    )
    theme = filters.ChoiceFilter(
        choices=Theme.choices, method="filter_theme", label=_("Henvisninger med dette tema")
    )

    class Meta:
        model = Referral
        fields = [
            "state",
            "municipality",
            "target_kind",
            "overdue",
            "sent_from",
            "sent_to",
            "theme",
        ]

    def filter_target_kind(self, queryset, name: str, value: str):
        if value == ADVISER:
            return queryset.filter(target_adviser__isnull=False)
        return queryset.filter(target_operator__kind=value)

    def filter_overdue(self, queryset, name: str, value: bool):
        # The same rule as Referral.deadline_status: open and past the due day.
        overdue = {"state__in": OPEN_STATES, "due_on__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)

    def filter_theme(self, queryset, name: str, value: str):
        return queryset.filter(themes__contains=[value])


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Kun ulæste (true) eller læste")
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
