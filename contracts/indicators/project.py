"""Projects, networks, programmes: development projects, business networks and growth
programme enrolments."""

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from contracts.indicators.core import Measure, Result, counted, grouped, indicator
from crm.models import DevelopmentProject, Network, ProgrammeEnrolment
from crm.subjects import subject_filter

# --- Projects, networks, programmes -------------------------------------------------------


def projects_in(
    period, municipality_ids, operator_ids, *, funding=None, application_help=None
) -> QuerySet:
    """The measured operators' development projects identified in the period."""
    rows = DevelopmentProject.objects.filter(
        identified_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )
    if funding:
        rows = rows.filter(funding=funding)
    if application_help is not None:
        rows = rows.filter(application_help=application_help)
    return rows


def enrolments_in(period, municipality_ids, operator_ids) -> QuerySet:
    """The measured operators' growth programme enrolments started in the period."""
    return ProgrammeEnrolment.objects.filter(
        started_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )


@indicator(
    "projects",
    label=_("Udviklingsprojekter"),
    unit=_("projekter"),
    counts=_(
        "Udviklingsprojekter, som de målte operatører har identificeret i perioden; med "
        "'tæl virksomheder' forskellige virksomheder i stedet for projekter."
    ),
)
def projects(
    period,
    municipality_ids,
    operator_ids,
    *,
    funding=None,
    application_help=None,
    distinct_companies=False,
) -> Result:
    """Seed 000: "Det forventes, at der gennemsnitligt identificeres 10 udviklingsprojekter
    pr. kommune"; with funding=lag, application_help and distinct_companies: "Hjælpe 2
    virksomheder pr. kommune med at ansøge om udviklingsfinansiering fra LAG"."""
    rows = projects_in(
        period, municipality_ids, operator_ids, funding=funding, application_help=application_help
    )
    aggregate = Count("company", distinct=True) if distinct_companies else Count("pk")
    return grouped(rows, "municipality", municipality_ids, counted(aggregate))


@indicator(
    "amounts_granted",
    label=_("Bevilget til udviklingsprojekter"),
    unit=_("kr."),
    counts=_(
        "Summen af de bevilgede beløb til de udviklingsprojekter, de målte operatører har "
        "identificeret i perioden."
    ),
    excludes=_("Projekter uden bevilget beløb tæller ikke."),
)
def amounts_granted(
    period, municipality_ids, operator_ids, *, funding=None, application_help=None
) -> Result:
    """Seed 000: "26 udviklingsprojekter med en samlet offentlig medfinansiering på kr.
    13.000.000"."""
    rows = projects_in(
        period, municipality_ids, operator_ids, funding=funding, application_help=application_help
    ).filter(amount_granted__isnull=False)
    return grouped(rows, "municipality", municipality_ids, counted(Sum("amount_granted")))


NETWORK_SPANS = """
    WITH spans AS (
        SELECT id AS network_id, municipality_id FROM crm_network WHERE id = ANY(%(ids)s)
        UNION
        SELECT network_id, municipality_id FROM crm_network_municipalities
        WHERE network_id = ANY(%(ids)s)
    )
    SELECT municipality_id, COUNT(*) FROM spans
    WHERE municipality_id = ANY(%(municipalities)s) GROUP BY municipality_id
"""


@indicator(
    "networks",
    label=_("Erhvervsnetværk oprettet"),
    unit=_("netværk"),
    counts=_(
        "Netværk, som de målte operatører har oprettet i perioden. Et netværk tæller i hver "
        "kommune, det dækker; totalen er summen over kommunerne (et tværkommunalt netværk "
        "tæller i hver af sine kommuner)."
    ),
    excludes=_(
        "Netværk oprettet før perioden, og med et mindste antal medlemmer: netværk med færre "
        "medlemsvirksomheder."
    ),
)
def networks(period, municipality_ids, operator_ids, *, min_members=None) -> Result:
    """Seed 000: "Oprettelse af virksomhedsnetværk i alle kommuner – gerne tværkommunale";
    seed 003: "virksomhedsnetværk af minimum 5 parter" (min_members=5)."""
    rows = Network.objects.filter(
        started_on__range=(period.start, period.end), operator__in=operator_ids
    )
    if min_members:
        rows = rows.annotate(size=Count("members")).filter(size__gte=min_members)
    ids = list(rows.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(NETWORK_SPANS, {"ids": ids, "municipalities": list(municipality_ids)})
        found = dict(cursor.fetchall())
    per_municipality = {mid: Measure.count(found.get(mid)) for mid in municipality_ids}
    return Result(per_municipality, Measure.count(sum(found.values())))


@indicator(
    "enrolments",
    label=_("Vækstforløb"),
    unit=_("forløb"),
    counts=_(
        "Vækstforløb (regionale programmer), som de målte operatører har sat i gang i "
        "perioden, efter vækstniveau og for iværksættere (før start og til og med tre år "
        "efter start) eller virksomheder."
    ),
)
def enrolments(
    period, municipality_ids, operator_ids, *, growth_level=None, subject=None
) -> Result:
    """Seed 001 §1: "Vækstforløb for iværksættere/virksomheder på A-, B- og C-niveau"."""
    rows = enrolments_in(period, municipality_ids, operator_ids)
    if growth_level:
        rows = rows.filter(growth_level=growth_level)
    rows = rows.filter(subject_filter(subject, "started_on"))
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))
