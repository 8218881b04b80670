"""The rules of a company's figures over the years (issue 16): which source wins when two give
a figure for the same year, how a follow-up and the register record them, and what follows
from them (jobs created, survival, size band)."""

from decimal import Decimal

import pghistory
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Left, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Company, CompanyYear
from crm.models.impact import FIGURES, Source
from crm.services import DomainError, check_can_change

# A source may replace a figure from a source of the same or a lower rank, never a higher one:
# a follow-up does not overwrite the filed annual accounts, an import overwrites nothing but
# another import.
RANK = {"": 0, Source.IMPORTED: 1, Source.REPORTED: 2, Source.REGISTER: 3}
# Size bands by full-time equivalents, as Statistics Denmark bands companies (micro, small,
# medium, large): the comparison group is chosen within the same band (contracts.indicators).
SIZE_BANDS = ((Decimal(10), "micro"), (Decimal(50), "small"), (Decimal(250), "medium"))


def industry_group(company: str = ""):
    """The company's industry as a DB07 main group (two digits): the register's DB07 code,
    else the first two digits of its industry code (DB25 keeps most main groups' numbers);
    "" without either. ``company`` is the path to the company ("company__")."""
    code = Coalesce(
        NullIf(F(f"{company}industry_code_db07"), Value("")),
        F(f"{company}industry_code__code"),
        Value(""),
    )
    return Left(code, 2)


def size_band(fte: Decimal | None) -> str:
    if fte is None:
        return ""
    return next((name for limit, name in SIZE_BANDS if fte < limit), "large")


def check_year(year: int) -> None:
    if not 1990 <= year <= timezone.localdate().year:
        raise DomainError(_("Året skal ligge mellem 1990 og i år."))


@transaction.atomic
def do_record_year(company: Company, year: int, *, source: str, **figures) -> CompanyYear:
    """Record ``figures`` (those of ``FIGURES`` given and not None) for ``company`` and
    ``year`` from ``source``. A figure already given by a more trusted source is kept (RANK).
    Side effects: the row created or updated, with a change-history entry naming the source."""
    check_year(year)
    unknown = set(figures) - set(FIGURES)
    assert not unknown, f"not figures of a year: {unknown}"
    row, _created = CompanyYear.objects.select_for_update().get_or_create(
        company=company, year=year
    )
    changed = []
    for figure, value in figures.items():
        if value is None or value == "" or RANK[row.source_of(figure)] > RANK[source]:
            continue
        setattr(row, figure, value)
        setattr(row, f"{figure}_source", source)
        changed += [figure, f"{figure}_source"]
    if changed:
        with pghistory.context(source=f"company-year-{source}"):
            row.save(update_fields=[*changed, "updated_at"])
    return row


def do_report_year(user, company: Company, year: int, **figures) -> CompanyYear:
    """The company's own figures from a follow-up, recorded by a consultant of its
    municipality."""
    check_can_change(user, company.municipality)
    return do_record_year(company, year, source=Source.REPORTED, **figures)


def do_record_register_years(company: Company, employment: dict[int, Decimal]) -> None:
    """The register's annual employment (``aarsbeskaeftigelse``: full-time equivalents per
    year) as the company's figures from the register."""
    for year, fte in employment.items():
        do_record_year(company, year, source=Source.REGISTER, employees_fte=fte)


def years_of(company: Company) -> list[dict]:
    """The company's years, newest first, each with the jobs created since the year before
    (None where either year has no full-time equivalents)."""
    rows = list(company.years.order_by("year"))
    fte = {row.year: row.employees_fte for row in rows}
    return [
        {"row": row, "jobs_created": jobs_created(fte.get(row.year - 1), row.employees_fte)}
        for row in reversed(rows)
    ]


def jobs_created(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    """Net jobs created: the growth in full-time equivalents (negative where jobs were lost)."""
    return None if before is None or after is None else after - before


def survival_condition(year: int) -> Q:
    """The one rule of survival, on a Company queryset: active in ``year`` by the year's
    status; without a status for the year, by the register's status today."""
    rows = CompanyYear.objects.filter(company=OuterRef("pk"), year=year).exclude(status="")
    active = rows.filter(status=Company.Status.ACTIVE)
    return Exists(active) | ~Exists(rows) & Q(status=Company.Status.ACTIVE)


def survived(company: Company, year: int) -> bool:
    return Company.objects.filter(pk=company.pk).filter(survival_condition(year)).exists()


def merge_years(survivor: Company, duplicate: Company) -> None:
    """Before ``duplicate`` is merged into ``survivor`` (crm.merging): a year both have
    becomes the survivor's row, each figure from the more trusted source (RANK; the
    survivor's where both are equal) or from the duplicate where the survivor has none; the
    duplicate's row for that year is deleted. Its other years move with the merge."""
    mine = {row.year: row for row in survivor.years.select_for_update()}
    for row in duplicate.years.select_for_update().filter(year__in=list(mine)):
        kept = mine[row.year]
        for figure in FIGURES:
            value, empty = getattr(row, figure), getattr(kept, figure) in (None, "")
            if value in (None, ""):
                continue
            if empty or RANK[row.source_of(figure)] > RANK[kept.source_of(figure)]:
                setattr(kept, figure, value)
                setattr(kept, f"{figure}_source", row.source_of(figure))
        kept.save()
        row.delete()
