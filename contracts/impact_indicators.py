"""Indicators of the guided companies' development over the years (issue 16; seed 001 §7,
seed 002 goals 6b/6c): jobs created, survival after N years, and growth in revenue or
employment against a comparison group. They count the figures of ``crm.models.CompanyYear``
and register in the catalogue of ``contracts.indicators`` like every other indicator.

A company counts in its own municipality (where it is registered now), once however many
sessions it had; it is "guided" by the one definition of ``guided_in`` (a full guidance by a
measured operator in a contract municipality), a founder's guidance counting for the company
the founder started.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from contracts.indicators import (
    EXCLUDED_ALWAYS,
    HUNDRED,
    PARAMETERS,
    Measure,
    Parameter,
    Period,
    Result,
    counted,
    grouped,
    guided_in,
    indicator,
    shared,
)
from crm.impact import SIZE_BANDS, industry_group, survival_condition
from crm.models import Company, CompanyYear, GuidanceSession

PARAMETERS["years"] = Parameter(_("Antal år efter vejledningen"), "int")
PARAMETERS["whole_period"] = Parameter(
    _("Over hele perioden (fra året før virksomhedens første vejledning i perioden)"), "bool"
)
PARAMETERS["figure"] = Parameter(
    _("Vækst i"),
    "choice",
    (
        ("revenue", _("omsætning")),
        ("employees_fte", _("beskæftigelse (årsværk)")),
        ("productivity", _("produktivitet (omsætning pr. årsværk)")),
    ),
)
# The figures a growth is computed from: productivity is revenue over full-time equivalents.
PARTS = {"productivity": ("revenue", "employees_fte")}


def years_back(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def shifted(period: Period, years: int) -> Period:
    return Period(years_back(period.start, years), years_back(period.end, years))


def guided(period: Period, municipality_ids, operator_ids, company: str = "company") -> Exists:
    """The company (the outer row's ``company``), or a founder who started it, had a full
    guidance in the period."""
    sessions = guided_in(period, municipality_ids, operator_ids)
    outer = OuterRef(company)
    return Exists(sessions.filter(Q(company=outer) | Q(founder__company=outer)))


def figure_in(year: int, figure: str) -> Subquery:
    rows = CompanyYear.objects.filter(company=OuterRef("company"), year=year)
    return Subquery(rows.values(figure)[:1])


def first_guided_year(period: Period, municipality_ids, operator_ids) -> Subquery:
    """The year of the company's (the outer row's ``company``) first full guidance in the
    period, its own or a founder's who started it."""
    outer = OuterRef("company")
    sessions = guided_in(period, municipality_ids, operator_ids).filter(
        Q(company=outer) | Q(founder__company=outer)
    )
    return Subquery(sessions.order_by("date").annotate(y=ExtractYear("date")).values("y")[:1])


@indicator(
    "jobs_created",
    label=_("Arbejdspladser skabt i vejledte virksomheder"),
    unit=_("årsværk"),
    counts=_(
        "Virksomheder, som de målte operatører har vejledt i perioden: tilvæksten i årsværk fra "
        "året før periodens slutår til slutåret, lagt sammen (nettotal: tabte arbejdspladser "
        "trækker fra). Over hele perioden (et program over flere år): tilvæksten for hver "
        "virksomhed fra året før dens første vejledning i perioden til periodens slutår, lagt "
        "sammen på samme måde; for en periode inden for ét kalenderår er det det samme tal. "
        "Hver virksomhed tælles én gang, i sin kommune. Årsværk fra CVR-"
        "registerets årsbeskæftigelse, ellers som virksomheden har oplyst eller importeret."
    ),
    excludes=_("Virksomheder uden årsværk for begge år (udgangsåret og slutåret) tæller ikke med.")
    + " "
    + EXCLUDED_ALWAYS,
)
def jobs_created(period, municipality_ids, operator_ids, *, whole_period=False) -> Result:
    """Seed 001 §7: "et måltal på 275 årlige arbejdspladser": the growth in the period's end
    year. Seed 004, goal 5: "Sysselsättningsökning i företag som får stöd" over the programme
    (2015-2018) with ``whole_period``: each company's growth from the year before its first
    guidance in the period (its employment before the support) to the period's end year."""
    year = period.end.year
    rows = CompanyYear.objects.filter(
        year=year, company__municipality__in=municipality_ids, employees_fte__isnull=False
    ).filter(guided(period, municipality_ids, operator_ids))
    if whole_period:
        rows = rows.annotate(
            base_year=first_guided_year(period, municipality_ids, operator_ids) - 1
        )
        before = CompanyYear.objects.filter(company=OuterRef("company"), year=OuterRef("base_year"))
        rows = rows.annotate(before=Subquery(before.values("employees_fte")[:1]))
    else:
        rows = rows.annotate(before=figure_in(year - 1, "employees_fte"))
    return grouped(
        rows.filter(before__isnull=False),
        "company__municipality",
        municipality_ids,
        counted(Sum(F("employees_fte") - F("before"))),
    )


@indicator(
    "survival_share",
    label=_("Overlevelsesrate for vejledte virksomheder"),
    unit="%",
    counts=_(
        "Virksomheder, som de målte operatører vejledte i perioden for det valgte antal år "
        "siden: andelen, der stadig er aktive i periodens slutår. Aktiv efter årets status "
        "(CVR-registeret, virksomhedens egne oplysninger eller import); uden status for året "
        "efter CVR-registerets status i dag."
    ),
    excludes=EXCLUDED_ALWAYS,
    numerator=_("aktive virksomheder"),
    denominator=_("vejledte virksomheder"),
    is_share=True,
)
def survival_share(period, municipality_ids, operator_ids, *, years) -> Result:
    """Seed 001 §7: "overlevelsesrate"."""
    cohort = guided(shifted(period, years), municipality_ids, operator_ids, "pk")
    rows = Company.objects.filter(municipality__in=municipality_ids).filter(cohort)
    survived = survival_condition(period.end.year)
    return grouped(
        rows, "municipality", municipality_ids, shared(Count("pk", filter=survived), Count("pk"))
    )


def size_band_of(fte) -> Case:
    whens = [When(**{f"{fte}__lt": limit}, then=Value(name)) for limit, name in SIZE_BANDS]
    return Case(*whens, default=Value("large"), output_field=CharField())


def cells(rows, base_year: int, figure: str, *fields):
    """Sums of the figure's parts now and in ``base_year`` per (industry, size band) cell
    and ``fields``: the industry is the DB07 main group (two digits), the band the size in
    full-time equivalents in the base year. A company counts only with every part for both
    years."""
    parts = PARTS.get(figure, (figure,))
    rows = rows.annotate(
        base_fte=figure_in(base_year, "employees_fte"),
        industry=industry_group("company__"),
        **{f"base_{part}": figure_in(base_year, part) for part in parts},
    ).annotate(band=size_band_of("base_fte"))
    for part in parts:
        rows = rows.filter(**{f"{part}__isnull": False, f"base_{part}__isnull": False})
    sums = {f"now_{part}": Sum(part) for part in parts}
    sums |= {f"then_{part}": Sum(f"base_{part}") for part in parts}
    keys = [*fields, "industry", "band"]
    return (
        rows.filter(base_fte__isnull=False)
        .exclude(industry="")
        .values(*keys)
        .annotate(**sums)
        .order_by()
    )


def level(rows, when: str, figure: str) -> Decimal:
    """The summed figure (or, for productivity, summed revenue over summed FTE)."""
    total = {
        part: sum((row[f"{when}_{part}"] for row in rows), Decimal(0))
        for part in PARTS.get(figure, (figure,))
    }
    if figure == "productivity":
        return total["revenue"] / total["employees_fte"] if total["employees_fte"] else Decimal(0)
    return total[figure]


def growth(rows, figure: str) -> Decimal | None:
    then, now = level(rows, "then", figure), level(rows, "now", figure)
    return ((now / then - 1) * HUNDRED).quantize(Decimal("0.1")) if then else None


def against(cohort_rows, comparison: dict, figure: str) -> Measure:
    guided_growth = growth(cohort_rows, figure)
    cells_of_cohort = {(row["industry"], row["band"]) for row in cohort_rows}
    in_cells = [comparison[cell] for cell in cells_of_cohort if cell in comparison]
    control = growth(in_cells, figure)
    if guided_growth is None or control is None:
        return Measure(None, guided_growth, control)
    return Measure(guided_growth - control, guided_growth, control)


@indicator(
    "growth_vs_control",
    label=_("Mervækst for vejledte virksomheder i forhold til en kontrolgruppe"),
    unit=_("procentpoint"),
    counts=_(
        "Virksomheder, som de målte operatører vejledte i perioden for det valgte antal år siden "
        "(basisåret er det år, perioden da sluttede): deres samlede vækst i omsætning, "
        "årsværk eller produktivitet (omsætning pr. årsværk) fra basisåret til periodens "
        "slutår, minus væksten i en kontrolgruppe. "
        "Kontrolgruppen er virksomheder, som ingen operatør har vejledt til og med periodens "
        "slutning, i samme branche (DB07-hovedgruppe, to cifre; uden DB07-kode de to første "
        "cifre af branchekoden) og samme størrelsesklasse i "
        "basisåret (under 10, 10-49, 50-249, 250 eller flere årsværk) som mindst én af de "
        "vejledte; væksten er summen i slutåret divideret med summen i basisåret, minus 1 "
        "(produktivitet: summen af omsætningen divideret med summen af årsværkene). Med segment: "
        "kun vejledte virksomheder i segmentet."
    ),
    excludes=_(
        "Virksomheder uden branchekode eller uden tallet og årsværk for begge år tæller ikke "
        "med, hverken som vejledte eller i kontrolgruppen."
    )
    + " "
    + EXCLUDED_ALWAYS,
    numerator=_("vækst for de vejledte (%)"),
    denominator=_("vækst for kontrolgruppen (%)"),
)
def growth_vs_control(
    period, municipality_ids, operator_ids, *, figure, years, segment=None
) -> Result:
    """Seed 002, goal 6b: "mervækst på mindst 10 procentpoint i omsætning og mindst 5
    procentpoint i beskæftigelse i forhold til en kontrolgruppe", two years after. Two
    queries whatever the number of municipalities: the cohort per municipality and cell, the
    comparison group per cell."""
    year, then = period.end.year, shifted(period, years)
    cohort = CompanyYear.objects.filter(
        year=year, company__municipality__in=municipality_ids
    ).filter(guided(then, municipality_ids, operator_ids))
    if segment:  # seed 002: the growth segment's revenue and FTE, the operations segment's
        cohort = cohort.filter(company__segment=segment)  # productivity
    ever_guided = GuidanceSession.objects.filter(
        Q(company=OuterRef("company")) | Q(founder__company=OuterRef("company")),
        kind=GuidanceSession.Kind.FULL,
        date__lte=period.end,
    )
    comparison = CompanyYear.objects.filter(year=year).exclude(Exists(ever_guided))
    cohort_rows = list(cells(cohort, then.end.year, figure, "company__municipality"))
    comparison_cells = {
        (row["industry"], row["band"]): row for row in cells(comparison, then.end.year, figure)
    }
    per_municipality = {
        mid: against(
            [row for row in cohort_rows if row["company__municipality"] == mid],
            comparison_cells,
            figure,
        )
        for mid in municipality_ids
    }
    return Result(per_municipality, against(cohort_rows, comparison_cells, figure))
