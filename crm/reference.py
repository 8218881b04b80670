"""Load the public reference data shipped in crm/fixtures/reference/ (sources in SOURCES.md).

Idempotent: rows are matched on their official codes and updated in place; a municipality's
rural/urban class, which only an administrator sets, is never touched.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from crm.models import IndustryCode, Municipality, Operator, Region
from crm.services import sync_operator_permissions

REFERENCE_DIR = Path(__file__).resolve().parent / "fixtures" / "reference"


@dataclass
class LoadSummary:
    regions: int
    municipalities: int
    hubs: int
    industry_codes: int


def read_rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_regions() -> dict[str, Region]:
    regions = {}
    for row in read_rows("regions.csv"):
        regions[row["region_code"]], _ = Region.objects.update_or_create(
            code=row["region_code"],
            defaults={"name": row["region_name"], "short_name": row["short_name"]},
        )
    return regions


def load_hubs() -> dict[str, Operator]:
    hubs = {}
    for row in read_rows("erhvervshuse.csv"):
        hubs[row["name"]], _ = Operator.objects.update_or_create(
            name=row["name"], defaults={"kind": Operator.Kind.HUB}
        )
    return hubs


def load_municipalities(regions: dict[str, Region], hubs: dict[str, Operator]) -> int:
    rows = read_rows("municipalities.csv")
    for row in rows:
        Municipality.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "official_name": row["official_name"],
                "region": regions[row["region_code"]],
                "hub": hubs[row["erhvervshus"]],
                "typology": row["typology"],
            },
        )
    for hub in hubs.values():
        hub.municipalities.set(Municipality.objects.filter(hub=hub))
        sync_operator_permissions(hub)
    return len(rows)


def industry_codes() -> list[IndustryCode]:
    DB07, DB25 = IndustryCode.System.DB07, IndustryCode.System.DB25
    Level = IndustryCode.Level
    codes = [
        IndustryCode(
            system=DB07,
            code=row["code"],
            level=Level.SECTION,
            name=row["name_da"] or row["name_en"],
        )  # some Danish titles unverified
        for row in read_rows("db07_sections.csv")
    ]
    codes += [
        IndustryCode(
            system=DB07,
            code=row["code"],
            level=Level.DIVISION,
            name=row["name_da"],
            parent_code=row["section"],
        )
        for row in read_rows("db07_main_groups.csv")
    ]
    codes += [
        IndustryCode(
            system=DB25,
            code=row["code"],
            level=Level.DETAILED,
            name=row["title"],
            parent_code=row["division"],
        )
        for row in read_rows("db25_full.csv")
    ]
    return codes


def load_industry_codes() -> int:
    codes = industry_codes()
    IndustryCode.objects.bulk_create(
        codes,
        update_conflicts=True,
        unique_fields=["system", "code"],
        update_fields=["level", "name", "parent_code"],
    )
    return len(codes)


@transaction.atomic
def load_reference_data() -> LoadSummary:
    regions = load_regions()
    hubs = load_hubs()
    municipalities = load_municipalities(regions, hubs)
    return LoadSummary(len(regions), municipalities, len(hubs), load_industry_codes())
