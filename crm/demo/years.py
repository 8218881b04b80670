"""Demo figures by year (issue 16): full-time equivalents, revenue, gross profit and export for
most demo companies over the last four whole years, as an import would bring them, so the
impact indicators and the annual profile have something to show."""

import random
from decimal import Decimal

from crm.demo.plan import Plan
from crm.models import Company, CompanyYear
from crm.models.impact import Source

YEARS = 4


def build_years(plan: Plan, companies: list[Company]) -> list[CompanyYear]:
    # A stream of its own: the records drawn before stay as they were.
    rng = random.Random(len(companies) * 16 + 2026)
    rows = []
    for company in companies:
        if not company.employees or rng.random() < 0.3:
            continue
        rows += company_years(rng, company, plan.today.year)
    return rows


def company_years(rng: random.Random, company: Company, this_year: int) -> list[CompanyYear]:
    fte = Decimal(company.employees) * Decimal(str(round(rng.uniform(0.7, 1.0), 2)))
    per_fte = rng.uniform(500_000, 1_400_000)
    export = Decimal(str(round(rng.uniform(5, 60), 1))) if rng.random() < 0.25 else None
    ceases = rng.random() < 0.03
    rows = []
    for year in range(this_year - YEARS, this_year):
        fte = max(Decimal(0), fte * Decimal(str(round(rng.uniform(0.9, 1.2), 2))))
        revenue = int(float(fte) * per_fte * rng.uniform(0.9, 1.15)) // 1000 * 1000
        last = year == this_year - 1
        status = Company.Status.CEASED if ceases and last else Company.Status.ACTIVE
        rows.append(
            CompanyYear(
                company=company,
                year=year,
                employees_fte=fte.quantize(Decimal("0.1")),
                revenue=revenue,
                gross_profit=int(revenue * rng.uniform(0.2, 0.5)) // 1000 * 1000,
                export_share=export,
                status=status,
                employees_fte_source=Source.IMPORTED,
                revenue_source=Source.IMPORTED,
                gross_profit_source=Source.IMPORTED,
                export_share_source=Source.IMPORTED if export is not None else "",
                status_source=Source.IMPORTED,
            )
        )
    return rows
