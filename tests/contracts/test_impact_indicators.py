"""The indicators of the guided companies' development (jobs created, survival, growth against
a comparison group) on small hand-made data, with the expected numbers counted by hand."""

import datetime
from decimal import Decimal

import pytest

from contracts import indicators
from contracts.indicators import CATALOGUE, Period
from crm import impact, services
from crm.models import Company, IndustryCode, Operator
from crm.models.impact import Source

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = Period(D(2026, 1, 1), D(2026, 12, 31))


def company_in(world, cvr, municipality=None, **fields):
    return Company.objects.create(
        cvr=cvr, name=f"Firma {cvr}", municipality=municipality or world.home, **fields
    )


def guide(world, company, date, **fields):
    user, operator = (
        (world.consultant, world.local)
        if company.municipality == world.home
        else (world.outsider, world.other_local)
    )
    fields = {"tier": "local", "channel": "visit", **fields}
    return services.do_log_session(user, company, operator=operator, date=date, **fields)


def figures(company, **years):
    """``y2025=(fte, revenue)`` or ``y2026=(fte, revenue, status)``."""
    for key, values in years.items():
        fte, revenue, *status = values
        impact.do_record_year(
            company,
            int(key[1:]),
            source=Source.IMPORTED,
            employees_fte=None if fte is None else Decimal(fte),
            revenue=revenue,
            status=status[0] if status else None,
        )


def compute(name, world, params=None):
    operators = Operator.objects.filter(kind__in=["local", "hub"])
    return indicators.compute(
        name, YEAR, [world.home.pk, world.other.pk], [o.pk for o in operators], params or {}
    )


def values(result, world):
    return (
        result.per_municipality[world.home.pk].value,
        result.per_municipality[world.other.pk].value,
        result.total.value,
    )


def test_jobs_created_are_the_net_growth_in_fte_of_the_companies_guided_in_the_year(world):
    a, b, c = (company_in(world, cvr) for cvr in ["10000001", "10000002", "10000003"])
    d = company_in(world, "10000004", world.other)
    unguided, brief = company_in(world, "10000005"), company_in(world, "10000006")
    for company in (a, b, c, d):
        guide(world, company, D(2026, 3, 1))
    guide(world, a, D(2026, 4, 1))  # twice: counted once
    guide(world, brief, D(2026, 3, 1), kind="brief")  # a brief contact is no guidance
    figures(a, y2025=("4", None), y2026=("7", None))  # +3
    figures(b, y2025=("10", None), y2026=("8", None))  # -2
    figures(c, y2026=("5", None))  # no year before: left out
    figures(d, y2025=("1", None), y2026=("2.5", None))  # +1.5
    figures(unguided, y2025=("1", None), y2026=("20", None))
    figures(brief, y2025=("1", None), y2026=("20", None))

    result = compute("jobs_created", world)

    assert values(result, world) == (Decimal(1), Decimal("1.5"), Decimal("2.5"))


def test_jobs_created_over_a_programme_from_the_year_before_each_companys_first_guidance(world):
    programme = Period(D(2024, 9, 1), D(2026, 12, 31))
    early, late, twice = (company_in(world, cvr) for cvr in ["10000021", "10000022", "10000023"])
    elsewhere, new, before = (
        company_in(world, "10000024", world.other),
        company_in(world, "10000025"),
        company_in(world, "10000026"),
    )
    guide(world, early, D(2024, 10, 1))  # from 2023
    guide(world, late, D(2026, 2, 1))  # from 2025
    guide(world, twice, D(2025, 5, 1))  # from 2024: its first guidance in the period
    guide(world, twice, D(2026, 5, 1))
    guide(world, elsewhere, D(2025, 1, 10))  # from 2024
    guide(world, new, D(2025, 3, 1))  # started 2025: no FTE for 2024, left out
    guide(world, before, D(2024, 8, 31))  # before the period: not guided in it
    figures(early, y2023=("2", None), y2025=("9", None), y2026=("6", None))  # +4
    figures(late, y2024=("1", None), y2025=("3", None), y2026=("5", None))  # +2
    figures(twice, y2024=("10", None), y2025=("4", None), y2026=("7", None))  # -3
    figures(elsewhere, y2024=("1", None), y2026=("3.5", None))  # +2.5
    figures(new, y2025=("2", None), y2026=("6", None))
    figures(before, y2023=("1", None), y2026=("30", None))
    operators = [o.pk for o in Operator.objects.filter(kind__in=["local", "hub"])]
    municipalities = [world.home.pk, world.other.pk]

    result = indicators.compute(
        "jobs_created", programme, municipalities, operators, {"whole_period": True}
    )
    one_year = indicators.compute("jobs_created", programme, municipalities, operators, {})

    assert values(result, world) == (Decimal(3), Decimal("2.5"), Decimal("5.5"))
    # by default the growth into the end year only: early -3, late +2, twice +3, new +4,
    # elsewhere (no FTE for 2025) left out
    assert values(one_year, world) == (Decimal(6), Decimal(0), Decimal(6))


def test_jobs_created_over_one_calendar_year_are_the_same_either_way(world):
    a, b = company_in(world, "10000031"), company_in(world, "10000032")
    guide(world, a, D(2026, 3, 1))
    guide(world, b, D(2026, 9, 1))
    figures(a, y2025=("4", None), y2026=("7", None))
    figures(b, y2024=("1", None), y2025=("10", None), y2026=("8", None))

    assert values(compute("jobs_created", world), world) == (Decimal(1), 0, Decimal(1))
    assert values(compute("jobs_created", world, {"whole_period": True}), world) == (
        Decimal(1),
        0,
        Decimal(1),
    )


def test_survival_after_three_years_by_the_years_status_else_the_register_today(world):
    g, h, i, j = (
        company_in(world, cvr) for cvr in ["10000011", "10000012", "10000013", "10000014"]
    )
    j.status = Company.Status.CEASED
    j.save()
    k = company_in(world, "10000015", world.other)
    late = company_in(world, "10000016")
    for company in (g, h, i, j, k):
        guide(world, company, D(2023, 5, 1))
    guide(world, late, D(2026, 5, 1))  # guided this year: not of the 2023 cohort
    figures(g, y2026=(None, None, "active"))
    figures(h, y2026=(None, None, "ceased"))
    figures(k, y2026=(None, None, "bankrupt"))
    # i: no status for 2026, active in the register today; j: none, ceased today

    result = compute("survival_share", world, {"years": 3})

    assert values(result, world) == (Decimal("50.0"), Decimal("0.0"), Decimal("40.0"))
    assert (result.total.numerator, result.total.denominator) == (2, 5)


@pytest.fixture
def growth_world(world):
    """Guided in 2024 (base year; figures 2024 -> 2026), revenue in DKK, FTE:
    home P (62, micro)  1.0m -> 1.5m, FTE 5 -> 6;  home Q (62, small) 2.0m -> 2.1m, FTE 20 -> 20
    other R (47, micro) 1.0m -> 0.9m, FTE 3 -> 3.
    Never guided: X (62, micro) 1.0m -> 1.1m, FTE 2 -> 2; Y (62, small) 3.0m -> 3.0m, 10 -> 11;
    W (47, micro) 2.0m -> 2.0m, 4 -> 4; Z (62, medium) 1.0m -> 5.0m: no guided company in its
    cell. V (62, micro) 1.0m -> 9.0m was guided in 2020: never in the comparison group."""
    rows = [
        ("P", world.home, "621000", 2024, ("5", 1_000_000), ("6", 1_500_000)),
        ("Q", world.home, "620100", 2024, ("20", 2_000_000), ("20", 2_100_000)),
        ("R", world.other, "471100", 2024, ("3", 1_000_000), ("3", 900_000)),
        ("X", world.home, "621000", None, ("2", 1_000_000), ("2", 1_100_000)),
        ("Y", world.other, "622000", None, ("10", 3_000_000), ("11", 3_000_000)),
        # W has no DB07 code from the register, only an industry code (DB25) typed in: 47.
        ("W", world.home, "", None, ("4", 2_000_000), ("4", 2_000_000)),
        ("Z", world.home, "621000", None, ("100", 1_000_000), ("100", 5_000_000)),
        ("V", world.home, "621000", 2020, ("2", 1_000_000), ("2", 9_000_000)),
    ]
    for n, (_name, municipality, code, guided, base, now) in enumerate(rows):
        typed = None if code else IndustryCode.objects.filter(code__startswith="47").first()
        company = company_in(
            world, f"2000000{n}", municipality, industry_code_db07=code, industry_code=typed
        )
        if guided:
            guide(world, company, D(guided, 6, 1))
        figures(company, y2024=base, y2026=now)


def test_revenue_growth_of_the_guided_against_the_same_industry_and_size_band(world, growth_world):
    result = compute("growth_vs_control", world, {"figure": "revenue", "years": 2})

    # home: 3.6m / 3.0m - 1 = 20.0 %; comparison (62 micro, 62 small): 4.1m / 4.0m - 1 = 2.5 %
    # other: 0.9m / 1.0m - 1 = -10.0 %; comparison (47 micro): 0.0 %
    # total: 4.5m / 4.0m - 1 = 12.5 %; comparison (all three cells): 6.1m / 6.0m - 1 = 1.7 %
    assert values(result, world) == (Decimal("17.5"), Decimal("-10.0"), Decimal("10.8"))
    home = result.per_municipality[world.home.pk]
    assert (home.numerator, home.denominator) == (Decimal("20.0"), Decimal("2.5"))


def test_employment_growth_of_the_guided_against_the_comparison_group(world, growth_world):
    result = compute("growth_vs_control", world, {"figure": "employees_fte", "years": 2})

    # home: 26 / 25 - 1 = 4.0 %; comparison: 13 / 12 - 1 = 8.3 %. other: 0.0 - 0.0.
    assert values(result, world)[:2] == (Decimal("-4.3"), Decimal("0.0"))


def test_productivity_growth_is_revenue_per_fte_against_the_comparison_group(world, growth_world):
    result = compute("growth_vs_control", world, {"figure": "productivity", "years": 2})

    # home: (3.6m / 26) / (3.0m / 25) - 1 = 15.4 %; comparison: (4.1m / 13) / (4.0m / 12) - 1
    # = -5.4 %
    home = result.per_municipality[world.home.pk]
    assert (home.value, home.numerator, home.denominator) == (
        Decimal("20.8"),
        Decimal("15.4"),
        Decimal("-5.4"),
    )


def test_a_segment_counts_only_the_guided_companies_of_the_segment(world, growth_world):
    Company.objects.filter(industry_code_db07="620100").update(segment="growth")  # Q only

    result = compute(
        "growth_vs_control", world, {"figure": "revenue", "years": 2, "segment": "growth"}
    )

    # Q: 2.1m / 2.0m - 1 = 5.0 %; comparison (62 small): Y 0.0 %
    assert values(result, world)[:2] == (Decimal("5.0"), None)


def test_without_a_comparison_group_there_is_no_result(world):
    company = company_in(world, "10000021", industry_code_db07="621000")
    guide(world, company, D(2024, 6, 1))
    figures(company, y2024=("5", 1_000_000), y2026=("6", 1_200_000))

    result = compute("growth_vs_control", world, {"figure": "revenue", "years": 2})

    assert result.total.value is None
    assert result.total.numerator == Decimal("20.0")


def test_the_impact_indicators_write_their_method_out():
    for name in ["jobs_created", "survival_share", "growth_vs_control"]:
        definition = CATALOGUE[name]
        assert definition.counts and definition.excludes and definition.unit
    assert "kontrolgruppe" in str(CATALOGUE["growth_vs_control"].counts)
    assert CATALOGUE["growth_vs_control"].parameters == ("figure", "years", "segment")
    assert CATALOGUE["jobs_created"].parameters == ("whole_period",)
    assert "første vejledning i perioden" in str(CATALOGUE["jobs_created"].counts)
