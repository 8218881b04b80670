"""Filters of the records API (django-filter). Municipalities are named by their code."""

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
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
from crm.subjects import SUBJECTS, rural_target_group, subject_filter


def municipality_filter(field_name: str = "municipality__code") -> filters.CharFilter:
    return filters.CharFilter(field_name=field_name, label=_("Kommunekode, fx 791"))


def id_filter(field_name: str) -> filters.NumberFilter:
    # A plain number, not a ModelChoiceFilter: an id outside the caller's scope matches
    # nothing, exactly like an id that does not exist.
    return filters.NumberFilter(field_name=field_name)


class NumberInFilter(filters.BaseInFilter, filters.NumberFilter):
    """Several numbers, comma-separated: ``?operators=3,7``."""


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    """Several codes, comma-separated: ``?municipalities=791,740``."""


def operators_filter(field_name: str = "operator", label=None) -> NumberInFilter:
    # Ids, as ``id_filter``: an operator outside the caller's scope matches nothing more.
    return NumberInFilter(
        field_name=field_name,
        lookup_expr="in",
        label=label or _("Registreret af en af disse operatører (id'er, kommasepareret)"),
    )


def municipalities_filter(field_name: str = "municipality__code") -> CharInFilter:
    return CharInFilter(
        field_name=field_name,
        lookup_expr="in",
        label=_("En af disse kommuner (koder, kommasepareret, fx 791,740)"),
    )


def subject_choices():
    """The subjects the indicators count by (``crm.subjects.SUBJECTS``)."""
    return SUBJECTS


def by_subject(queryset, value: str, date_field: str):
    """Rows of founders, companies, "iværksættere" (founders and companies up to three years
    after their start on ``date_field``) or older companies: exactly as the contract
    indicators count them (``crm.subjects.subject_filter``)."""
    return queryset.filter(subject_filter(value, date_field)) if value else queryset


def subject_filter_for(date_field: str) -> filters.ChoiceFilter:
    def filter_subject(queryset, name: str, value: str):
        return by_subject(queryset, value, date_field)

    return filters.ChoiceFilter(
        choices=subject_choices,
        method=filter_subject,
        label=_(
            "Hvem: virksomheder, iværksættere før start, iværksættere inkl. virksomheder "
            "op til tre år efter start, eller ældre virksomheder"
        ),
    )


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
    # The filters a contract goal's number links with (reporting's rows pages): the same
    # rules as the indicators, so a list shows exactly the rows a number counts.
    operators = operators_filter()
    municipalities = municipalities_filter()
    themes = filters.MultipleChoiceFilter(
        choices=Theme.choices,
        method="filter_themes",
        label=_("Vejledninger med mindst ét af temaerne"),
    )
    segment = filters.ChoiceFilter(
        field_name="company__segment",
        choices=Company.Segment.choices,
        label=_("Virksomhedens segment"),
    )
    subject = subject_filter_for("date")
    micro = filters.BooleanFilter(
        method="filter_micro", label=_("Kun (true) eller ingen (false) mikrovirksomheder")
    )
    rural = filters.BooleanFilter(
        method="filter_rural",
        label=_("Virksomheden er markeret som landdistrikt eller ligger i en yderkommune"),
    )

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
            "operators",
            "municipalities",
            "themes",
            "segment",
            "subject",
            "micro",
            "rural",
        ]

    def filter_theme(self, queryset, name: str, value: str):
        # The array holds the theme (served by the GIN index on ``themes``).
        return queryset.filter(themes__contains=[value])

    def filter_themes(self, queryset, name: str, value: list):
        return queryset.filter(themes__overlap=value) if value else queryset

    def filter_rural(self, queryset, name: str, value: bool):
        rural = rural_target_group()  # seed 000's target group, as the indicator reads it
        return queryset.filter(rural) if value else queryset.exclude(rural)

    def filter_micro(self, queryset, name: str, value: bool):
        # 1-10 employees (``Company.is_micro``); an unknown number is not micro.
        micro = {"company__employees__range": (1, 10)}
        return queryset.filter(**micro) if value else queryset.exclude(**micro)


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
    operators = operators_filter()
    spans = CharInFilter(
        method="filter_spans",
        label=_("Dækker en af disse kommuner (koder, kommasepareret)"),
    )
    started_from = filters.DateFilter(
        field_name="started_on", lookup_expr="gte", label=_("Startet fra dato")
    )
    started_to = filters.DateFilter(
        field_name="started_on", lookup_expr="lte", label=_("Startet til og med dato")
    )
    min_members = filters.NumberFilter(
        method="filter_min_members", label=_("Mindst så mange medlemsvirksomheder")
    )

    class Meta:
        model = Network
        fields = [
            "municipality",
            "kind",
            "member",
            "operators",
            "spans",
            "started_from",
            "started_to",
            "min_members",
        ]

    def filter_spans(self, queryset, name: str, value: list):
        """Run from one of the municipalities, or spanning one (as the networks indicator
        counts a network in each municipality it spans)."""
        spanned = Network.municipalities.through.objects.filter(
            network=OuterRef("pk"), municipality__code__in=value
        )
        return queryset.filter(Q(municipality__code__in=value) | Exists(spanned))

    def filter_min_members(self, queryset, name: str, value):
        members = Network.members.through.objects.filter(network=OuterRef("pk"))
        size = members.values("network").annotate(n=Count("pk")).values("n")
        return queryset.annotate(size=Coalesce(Subquery(size), 0)).filter(size__gte=value)


class DevelopmentProjectFilter(filters.FilterSet):
    company = id_filter("company")
    municipality = municipality_filter()
    operators = operators_filter()
    municipalities = municipalities_filter()
    identified_from = filters.DateFilter(
        field_name="identified_on", lookup_expr="gte", label=_("Identificeret fra dato")
    )
    identified_to = filters.DateFilter(
        field_name="identified_on", lookup_expr="lte", label=_("Identificeret til og med dato")
    )
    granted = filters.BooleanFilter(
        field_name="amount_granted",
        lookup_expr="isnull",
        exclude=True,
        label=_("Med (true) eller uden (false) bevilget beløb"),
    )

    class Meta:
        model = DevelopmentProject
        fields = [
            "municipality",
            "company",
            "status",
            "funding",
            "operators",
            "municipalities",
            "identified_from",
            "identified_to",
            "application_help",
            "granted",
        ]


class ProgrammeEnrolmentFilter(filters.FilterSet):
    company = id_filter("company")
    founder = id_filter("founder")
    municipality = municipality_filter()
    operators = operators_filter()
    municipalities = municipalities_filter()
    started_from = filters.DateFilter(
        field_name="started_on", lookup_expr="gte", label=_("Startet fra dato")
    )
    started_to = filters.DateFilter(
        field_name="started_on", lookup_expr="lte", label=_("Startet til og med dato")
    )
    subject = subject_filter_for("started_on")

    class Meta:
        model = ProgrammeEnrolment
        fields = [
            "municipality",
            "company",
            "founder",
            "growth_level",
            "operators",
            "municipalities",
            "started_from",
            "started_to",
            "subject",
        ]
