"""Filters of the referrals API (django-filter). Municipalities are named by their code."""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from crm.filters import (
    municipalities_filter,
    municipality_filter,
    operators_filter,
    subject_filter_for,
)
from crm.models import Notification, Theme
from referrals.models import Referral
from referrals.queries import REFERRAL_TARGET_LABELS, REFERRAL_TARGETS
from referrals.serializers import ADVISER, TARGET_KINDS
from referrals.services import OPEN_STATES


def target_choices():
    """The receivers a referral goal counts by (``referrals.queries.REFERRAL_TARGETS``)."""
    return REFERRAL_TARGET_LABELS


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
    # The filters a contract goal's number links with (reporting's rows pages): the same
    # rules as the referral indicators (``contracts.indicators.referrals_in``).
    sender_operators = operators_filter(
        "sender_operator", _("Sendt af en af disse operatører (id'er, kommasepareret)")
    )
    target_operators = operators_filter(
        "target_operator", _("Sendt til en af disse operatører (id'er, kommasepareret)")
    )
    municipalities = municipalities_filter()
    target = filters.ChoiceFilter(
        choices=target_choices,
        method="filter_target",
        label=_(
            "Henvist til: et erhvervshus, en anden operatør, ekstern viden, "
            "designøkosystemet eller finansiering"
        ),
    )
    withdrawn = filters.BooleanFilter(
        method="filter_withdrawn", label=_("Kun (true) eller ingen (false) tilbagetrukne")
    )
    contacted_in_time = filters.BooleanFilter(
        method="filter_contacted_in_time",
        label=_("Kontaktet senest på fristen (true) eller ikke (false)"),
    )
    subject = subject_filter_for("sent_at__date")

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
            "sender_operators",
            "target_operators",
            "municipalities",
            "target",
            "after_screening",
            "withdrawn",
            "contacted_in_time",
            "subject",
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

    def filter_target(self, queryset, name: str, value: str):
        return queryset.filter(REFERRAL_TARGETS[value])  # the indicator's own rule

    def filter_withdrawn(self, queryset, name: str, value: bool):
        withdrawn = {"state": Referral.State.WITHDRAWN}
        return queryset.filter(**withdrawn) if value else queryset.exclude(**withdrawn)

    def filter_contacted_in_time(self, queryset, name: str, value: bool):
        in_time = {"contacted_at__date__lte": F("due_on")}
        return queryset.filter(**in_time) if value else queryset.exclude(**in_time)


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Kun ulæste (true) eller læste")
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
