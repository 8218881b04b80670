"""Filters of the records API (django-filter). Municipalities are named by their code."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Network,
    ProgrammeEnrolment,
    Theme,
)


def municipality_filter(field_name: str = "municipality__code") -> filters.CharFilter:
    return filters.CharFilter(field_name=field_name, label=_("Kommunekode, fx 791"))


def id_filter(field_name: str) -> filters.NumberFilter:
    # A plain number, not a ModelChoiceFilter: an id outside the caller's scope matches
    # nothing, exactly like an id that does not exist.
    return filters.NumberFilter(field_name=field_name)


class CompanyFilter(filters.FilterSet):
    municipality = municipality_filter()
    industry_code = filters.CharFilter(
        field_name="industry_code__code",
        lookup_expr="startswith",
        label=_("Branchekode eller dens begyndelse, fx 62 for hovedgruppe 62"),
    )

    class Meta:
        model = Company
        fields = ["municipality", "cvr", "industry_code", "segment", "growth_potential", "rural"]


class ContactPersonFilter(filters.FilterSet):
    company = id_filter("company")
    municipality = municipality_filter("company__municipality__code")

    class Meta:
        model = ContactPerson
        fields = ["municipality", "company"]


class FounderFilter(filters.FilterSet):
    company = id_filter("company")
    municipality = municipality_filter()

    class Meta:
        model = Founder
        fields = ["municipality", "company"]


class GuidanceSessionFilter(filters.FilterSet):
    company = id_filter("company")
    founder = id_filter("founder")
    operator = id_filter("operator")
    municipality = municipality_filter()
    theme = filters.ChoiceFilter(
        choices=Theme.choices,
        method="filter_theme",
        label=_("Vejledninger med dette tema"),
    )
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", label=_("Fra dato"))
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Til dato"))
    consultant = id_filter("consultants")

    class Meta:
        model = GuidanceSession
        fields = [
            "municipality",
            "tier",
            "theme",
            "date_from",
            "date_to",
            "consultant",
            "kind",
            "channel",
            "operator",
            "company",
            "founder",
        ]

    def filter_theme(self, queryset, name: str, value: str):
        # The array holds the theme (served by the GIN index on ``themes``).
        return queryset.filter(themes__contains=[value])


class ConsentFilter(filters.FilterSet):
    company = id_filter("company")
    founder = id_filter("founder")
    active = filters.BooleanFilter(
        field_name="withdrawn_on", lookup_expr="isnull", label=_("Kun ikke-tilbagekaldte")
    )

    class Meta:
        model = Consent
        fields = ["company", "founder", "scope", "active"]


class NetworkFilter(filters.FilterSet):
    municipality = municipality_filter()
    member = id_filter("members")

    class Meta:
        model = Network
        fields = ["municipality", "kind", "member"]


class DevelopmentProjectFilter(filters.FilterSet):
    company = id_filter("company")
    municipality = municipality_filter()

    class Meta:
        model = DevelopmentProject
        fields = ["municipality", "company", "status", "funding"]


class ProgrammeEnrolmentFilter(filters.FilterSet):
    company = id_filter("company")
    founder = id_filter("founder")
    municipality = municipality_filter()

    class Meta:
        model = ProgrammeEnrolment
        fields = ["municipality", "company", "founder", "growth_level"]
