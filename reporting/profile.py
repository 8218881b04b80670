"""The annual profile of the guided companies (seed 001 §7: "årligt ... branche, omsætning,
eksport, beskæftigelse og overlevelsesrate"; issue 16): per industry, the companies the
contract's parties guided in the year with their full-time equivalents, revenue and export
from their figures of the year (crm.models.CompanyYear), and the contract's jobs created and
survival rate by the published indicators. A PDF (a Report of kind "profile", rendered in
Celery) and an XLSX of the same table."""

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils.translation import gettext as _

from contracts.impact_indicators import guided
from contracts.indicators import CATALOGUE, Period, compute
from crm.impact import industry_group
from crm.models import Company, IndustryCode

SURVIVAL_YEARS = 3  # the survival rate after three years, as a founder counts for three years


def profile_year(as_of: datetime.date) -> int:
    """The last whole calendar year by ``as_of``: its accounts are the newest there are."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def year_period(year: int) -> Period:
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def measured(contract) -> tuple[list[int], list[int]]:
    """The contract's municipalities and parties (the operators the profile measures)."""
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    return municipality_ids, list(contract.parties.values_list("pk", flat=True))


def guided_companies(contract, year: int):
    """Companies the contract's parties guided in ``year`` in its municipalities, by the
    indicators' one definition of guided (contracts.impact_indicators.guided)."""
    return Company.objects.filter(guided(year_period(year), *measured(contract), "pk"))


def industry_rows(contract, year: int) -> list[dict]:
    """One row per DB07 main group (two digits; "" where the company has no industry code),
    the year's figures summed over the companies that have them."""
    in_year = Q(years__year=year)
    export = ExpressionWrapper(
        F("years__revenue") * F("years__export_share") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    rows = (
        guided_companies(contract, year)
        .annotate(industry=industry_group())
        .values("industry")
        .annotate(
            companies=Count("pk", distinct=True),
            fte=Sum("years__employees_fte", filter=in_year),
            revenue=Sum("years__revenue", filter=in_year),
            export=Sum(export, filter=in_year),
        )
        .order_by("industry")
    )
    names = dict(
        IndustryCode.objects.filter(
            system=IndustryCode.System.DB07, level=IndustryCode.Level.DIVISION
        ).values_list("code", "name")
    )
    return [
        {
            **row,
            "name": names.get(row["industry"], "") if row["industry"] else _("Uden branchekode"),
        }
        for row in rows
    ]


def indicator_results(contract, year: int) -> list[dict]:
    """Jobs created and the survival rate for the contract's municipalities and parties,
    with the indicators' published definitions (the method written out)."""
    period, (municipality_ids, party_ids) = year_period(year), measured(contract)
    results = []
    for name, params in (("jobs_created", {}), ("survival_share", {"years": SURVIVAL_YEARS})):
        total = compute(name, period, municipality_ids, party_ids, params).total
        results.append({"definition": CATALOGUE[name], "total": total, "params": params})
    return results


def profile(contract, as_of: datetime.date) -> dict:
    year = profile_year(as_of)
    rows = industry_rows(contract, year)
    totals = {
        key: sum((row[key] or 0 for row in rows), Decimal(0))
        for key in ("companies", "fte", "revenue", "export")
    }
    return {
        "year": year,
        "rows": rows,
        "totals": totals,
        "results": indicator_results(contract, year),
        "survival_years": SURVIVAL_YEARS,
    }


def profile_context(report) -> dict:
    return {
        "report": report,
        "contract": report.contract,
        **profile(report.contract, report.period_end),
    }


def profile_table(contract, as_of: datetime.date) -> tuple[list[str], list[list]]:
    """The profile as a table (XLSX/CSV): one line per industry, then the total and the
    indicators."""
    data = profile(contract, as_of)
    header = [
        _("År"),
        _("Branche (DB07)"),
        _("Vejledte virksomheder"),
        _("Årsværk"),
        _("Omsætning (kr.)"),
        _("Eksport (kr.)"),
    ]
    figures = ("companies", "fte", "revenue", "export")
    rows = [
        [data["year"], f"{row['industry']} {row['name']}".strip(), *(row[k] for k in figures)]
        for row in data["rows"]
    ]
    rows.append([data["year"], _("I alt"), *(data["totals"][k] for k in figures)])
    for result in data["results"]:
        label = str(result["definition"].label)
        unit = str(result["definition"].unit)
        rows.append([data["year"], f"{label} ({unit})", result["total"].value, "", "", ""])
    return header, rows
