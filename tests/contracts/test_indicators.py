"""Each indicator on small hand-made data, with the expected numbers written out."""

import datetime
from decimal import Decimal

import pytest

from contracts.indicators import Period, compute
from contracts.models import Evaluation
from crm import services
from crm.models import Company, Membership
from referrals.models import Adviser, Referral
from tests.conftest import CVRS, make_member

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = Period(D(2026, 1, 1), D(2026, 12, 31))


@pytest.fixture
def hub_consultant(world):
    return make_member(world.hub, Membership.Role.CONSULTANT)


def company_in(world, cvr, municipality=None, **fields):
    return Company.objects.create(
        cvr=cvr, name=f"Firma {cvr}", municipality=municipality or world.home, **fields
    )


def guide(user, operator, subject, date, **fields):
    fields = {"tier": "local", "channel": "visit", **fields}
    return services.do_log_session(user, subject, operator=operator, date=date, **fields)


def ids(world):
    return [world.home.pk, world.other.pk]


def values(result, world):
    return (
        result.per_municipality[world.home.pk].value,
        result.per_municipality[world.other.pk].value,
        result.total.value,
    )


def test_a_company_guided_twice_counts_once_and_the_total_is_not_a_sum(world):
    a = company_in(world, CVRS[0])
    guide(world.consultant, world.local, a, D(2026, 2, 1))
    guide(world.consultant, world.local, a, D(2026, 3, 1))
    a.municipality = world.other  # it moves; the next session counts in Aarhus
    a.save()
    guide(world.outsider, world.other_local, a, D(2026, 4, 1))
    guide(
        world.outsider,
        world.other_local,
        company_in(world, CVRS[1], world.other),
        D(2026, 4, 2),
        kind="brief",
    )

    guided = compute("companies_guided", YEAR, ids(world), {})
    contacted = compute("companies_contacted", YEAR, ids(world), {})
    sessions = compute("sessions", YEAR, ids(world), {"kind": "full"})

    assert values(guided, world) == (1, 1, 1)
    assert values(contacted, world) == (1, 2, 2)
    assert values(sessions, world) == (2, 1, 3)


def test_new_companies_against_the_twelve_months_before_at_the_year_boundary(world, hub_consultant):
    seen_last_year, new = company_in(world, CVRS[0]), company_in(world, CVRS[1])
    guide(hub_consultant, world.hub, seen_last_year, D(2025, 12, 31), tier="specialised")
    guide(hub_consultant, world.hub, seen_last_year, D(2026, 1, 2), tier="specialised")
    guide(hub_consultant, world.hub, new, D(2024, 12, 31), tier="specialised")  # > 12 months
    guide(hub_consultant, world.hub, new, D(2026, 1, 5), tier="specialised")
    # A local service's earlier session does not make the company known to the hub.
    guide(world.consultant, world.local, new, D(2025, 6, 1))

    result = compute("new_companies_share", YEAR, ids(world), {"operator_kinds": ["hub"]})

    assert (result.total.numerator, result.total.denominator, result.total.value) == (
        1,
        2,
        Decimal("50.0"),
    )


def test_uptake_leaves_out_does_not_know(world, company):
    adviser = Adviser.objects.create(name="Rådgiver", kind="private")
    for answer in ["used", "expects", "not_used", "unknown", ""]:
        referral = Referral.objects.create(
            company=company,
            municipality=world.home,
            sender_operator=world.local,
            sent_by=world.consultant,
            target_adviser=adviser,
            reason="x",
            sent_at=datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC),
            uptake=answer,
        )
        assert referral.pk

    result = compute("uptake_share", YEAR, ids(world), {})

    assert (result.total.numerator, result.total.denominator) == (2, 3)
    assert result.total.value == Decimal("66.7")


def evaluation(world, **fields):
    return Evaluation.objects.create(
        operator=world.hub, municipality=world.home, answered_on=D(2026, 5, 1), **fields
    )


def test_nps_with_only_passives_is_zero(world):
    evaluation(world, nps=7)
    evaluation(world, nps=8)

    assert compute("nps", YEAR, ids(world), {}).total.value == Decimal("0.0")


def test_nps_is_promoters_minus_detractors(world):
    for score in [10, 9, 7, 3]:
        evaluation(world, nps=score)

    result = compute("nps", YEAR, ids(world), {})

    assert result.total.value == Decimal("25.0")  # (2 - 1) / 4
    assert result.per_municipality[world.other.pk].value is None  # no answers: no value


def test_satisfaction_shares(world):
    for answer in ["very", "satisfied", "unknown"]:
        evaluation(world, satisfaction=answer, segment="growth")
    evaluation(world, satisfaction="very", segment="operations")

    very_growth = compute("satisfaction_share", YEAR, ids(world), {"segment": "growth"})
    satisfied = compute("satisfaction_share", YEAR, ids(world), {"answers": ["very", "satisfied"]})

    assert very_growth.total.value == Decimal("33.3")
    assert satisfied.total.value == Decimal("75.0")


def test_effect_within_a_theme(world):
    evaluation(world, effect="high", themes=["green"])
    evaluation(world, effect="some", themes=["green", "export"])
    evaluation(world, effect="high", themes=["digital"])

    assert compute("effect_share", YEAR, ids(world), {"themes": ["green"]}).total.value == 50
    assert compute("effect_share", YEAR, ids(world), {}).total.value == Decimal("66.7")


def test_a_founder_turning_31_during_the_period_counts_as_young_before_the_birthday(world):
    thirty = services.do_create_founder(
        world.consultant, cpr_number="1506952345", name="Turns 31 in June", municipality=world.home
    )
    older = services.do_create_founder(
        world.consultant, cpr_number="1001952344", name="31 in January", municipality=world.home
    )
    guide(world.consultant, world.local, thirty, D(2026, 3, 1))
    guide(world.consultant, world.local, older, D(2026, 3, 1))

    young = compute("founders_share", YEAR, ids(world), {"group": "young"})
    women = compute("founders_share", YEAR, ids(world), {"group": "women"})

    assert (young.total.numerator, young.total.denominator) == (1, 2)
    assert (women.total.numerator, women.total.denominator) == (1, 2)  # ...4 is even: a woman


def test_referrals_by_target_and_within_the_deadline(world, company, hub_consent):
    design = Adviser.objects.create(name="Designskolen", kind="design")
    sent = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)  # a Monday
    common = {
        "company": company,
        "municipality": world.home,
        "sender_operator": world.local,
        "sent_by": world.consultant,
        "reason": "x",
        "sent_at": sent,
    }
    Referral.objects.create(
        **common,
        target_operator=world.hub,
        due_on=D(2026, 3, 4),
        contacted_at=datetime.datetime(2026, 3, 4, 15, tzinfo=datetime.UTC),
    )
    Referral.objects.create(
        **common,
        target_operator=world.hub,
        due_on=D(2026, 3, 4),
        contacted_at=datetime.datetime(2026, 3, 6, 9, tzinfo=datetime.UTC),
    )
    Referral.objects.create(**common, target_adviser=design)
    Referral.objects.create(**common, target_adviser=design, state="withdrawn")

    assert compute("referrals", YEAR, ids(world), {"target": "hub"}).total.value == 2
    assert compute("referrals", YEAR, ids(world), {"target": "design"}).total.value == 1
    kept = compute("referrals_in_deadline_share", YEAR, ids(world), {})
    assert (kept.total.numerator, kept.total.denominator) == (1, 2)


def test_rural_share_and_municipalities_reached(world):
    world.home.rural_urban = "rural"
    world.home.save()
    guide(world.consultant, world.local, company_in(world, CVRS[0]), D(2026, 2, 1))
    guide(world.outsider, world.other_local, company_in(world, CVRS[1], world.other), D(2026, 2, 1))
    guide(world.outsider, world.other_local, company_in(world, CVRS[2], world.other), D(2026, 2, 1))

    rural = compute("rural_share", YEAR, ids(world), {})
    reached = compute("municipalities_reached", YEAR, ids(world), {})

    assert rural.total.value == Decimal("33.3")
    assert reached.total.value == 2


def test_lag_projects_count_companies_helped_per_municipality(world, company):
    for funding, help_given in [("lag", True), ("lag", True), ("lag", False), ("other", True)]:
        services.do_add_project(
            world.consultant,
            company,
            title="p",
            funding=funding,
            identified_on=D(2026, 4, 1),
            application_help=help_given,
        )

    helped = compute(
        "projects",
        YEAR,
        ids(world),
        {"funding": "lag", "application_help": True, "distinct_companies": True},
    )
    identified = compute("projects", YEAR, ids(world), {})

    assert values(helped, world) == (1, 0, 1)
    assert identified.total.value == 4
