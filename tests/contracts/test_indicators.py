"""Each indicator on small hand-made data, with the expected numbers written out."""

import datetime
from decimal import Decimal

import pytest

from contracts import indicators
from contracts.indicators import Period
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


def compute(name, period, municipality_ids, params, *, operators=None, **kwargs):
    """The indicator over the records of ``operators``: by default the three operators these
    tests log records for (whose records count is tested in test_whose_records.py)."""
    from crm.models import Operator

    operators = operators or Operator.objects.filter(kind__in=["local", "hub"])
    operator_ids = [operator.pk for operator in operators]
    return indicators.compute(name, period, municipality_ids, operator_ids, params, **kwargs)


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

    result = compute("new_companies_share", YEAR, ids(world), {}, operators=[world.hub])

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


def test_satisfaction_shares_leave_out_does_not_know(world):
    for answer in ["very", "satisfied", "neutral", "unknown"]:
        evaluation(world, satisfaction=answer, segment="growth")
    evaluation(world, satisfaction="very", segment="operations")
    evaluation(world, satisfaction="", segment="operations")  # did not answer

    very_growth = compute("satisfaction_share", YEAR, ids(world), {"segment": "growth"})
    satisfied = compute("satisfaction_share", YEAR, ids(world), {"answers": ["very", "satisfied"]})

    assert (very_growth.total.numerator, very_growth.total.denominator) == (1, 3)
    assert very_growth.total.value == Decimal("33.3")
    assert (satisfied.total.numerator, satisfied.total.denominator) == (3, 4)
    assert satisfied.total.value == Decimal("75.0")


def test_only_does_not_know_is_no_value_not_zero(world):
    evaluation(world, satisfaction="unknown", effect="unknown")

    assert compute("satisfaction_share", YEAR, ids(world), {}).total.value is None
    assert compute("effect_share", YEAR, ids(world), {}).total.value is None


def test_effect_within_a_theme_leaves_out_does_not_know(world):
    evaluation(world, effect="high", themes=["green"])
    evaluation(world, effect="some", themes=["green", "export"])
    evaluation(world, effect="unknown", themes=["green"])
    evaluation(world, effect="high", themes=["digital"])

    green = compute("effect_share", YEAR, ids(world), {"themes": ["green"]})
    overall = compute("effect_share", YEAR, ids(world), {})

    assert (green.total.numerator, green.total.denominator, green.total.value) == (1, 2, 50)
    assert (overall.total.numerator, overall.total.denominator) == (2, 3)
    assert overall.total.value == Decimal("66.7")


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


def test_guided_means_full_guidance_in_every_guided_indicator(world, hub_consultant):
    world.home.rural_urban = "rural"
    world.home.save()
    full, brief_only = company_in(world, CVRS[0]), company_in(world, CVRS[1])
    guide(hub_consultant, world.hub, full, D(2026, 2, 1), tier="specialised")
    guide(hub_consultant, world.hub, brief_only, D(2026, 2, 1), tier="specialised", kind="brief")
    # Only a brief contact last year: the company is still new to the hub this year.
    guide(hub_consultant, world.hub, full, D(2025, 6, 1), tier="specialised", kind="brief")

    assert values(compute("companies_guided", YEAR, ids(world), {}), world) == (1, 0, 1)
    assert values(compute("companies_contacted", YEAR, ids(world), {}), world) == (2, 0, 2)
    new = compute("new_companies_share", YEAR, ids(world), {}).total
    assert (new.numerator, new.denominator) == (1, 1)
    rural = compute("rural_share", YEAR, ids(world), {}).total
    assert (rural.numerator, rural.denominator) == (1, 1)
    assert compute("municipalities_reached", YEAR, ids(world), {}).total.value == 1
    assert compute("sessions", YEAR, ids(world), {}).total.value == 2


def test_a_guided_indicator_takes_no_kind(world):
    with pytest.raises(TypeError):
        compute("companies_guided", YEAR, ids(world), {"kind": "brief"})


def test_founders_guided_counts_each_founder_once_and_not_brief_contacts(world):
    ane = services.do_create_founder(
        world.consultant, cpr_number="0101902345", name="Ane", municipality=world.home
    )
    bo = services.do_create_founder(
        world.consultant, cpr_number="0202913456", name="Bo", municipality=world.home
    )
    cai = services.do_create_founder(
        world.outsider, cpr_number="0303924567", name="Cai", municipality=world.other
    )
    guide(world.consultant, world.local, ane, D(2026, 2, 1))
    guide(world.consultant, world.local, ane, D(2026, 3, 1))
    guide(world.consultant, world.local, bo, D(2026, 3, 1), kind="brief")
    guide(world.consultant, world.local, bo, D(2025, 12, 31))  # before the period
    guide(world.outsider, world.other_local, cai, D(2026, 4, 1))
    guide(world.consultant, world.local, company_in(world, CVRS[0]), D(2026, 4, 1))

    result = compute("founders_guided", YEAR, ids(world), {})

    assert values(result, world) == (1, 1, 2)


def test_founders_the_operators_guided_who_started_a_company_in_the_period(world):
    started = [D(2025, 12, 31), D(2026, 1, 1), D(2026, 12, 31), None]
    for number, (cpr, date) in enumerate(
        zip(["0101902345", "0202913456", "0303924567", "0404935678"], started, strict=True)
    ):
        founder = services.do_create_founder(
            world.consultant, cpr_number=cpr, name=f"F{number}", municipality=world.home
        )
        guide(world.consultant, world.local, founder, D(2025, 6, 1))
        if date:
            services.do_link_founder_company(
                world.consultant, founder, company_in(world, CVRS[number]), started_on=date
            )

    result = compute("founders_started_company", YEAR, ids(world), {})
    # Founders no measured operator guided do not count.
    unguided = compute("founders_started_company", YEAR, ids(world), {}, operators=[world.hub])

    assert values(result, world) == (2, 0, 2)
    assert values(unguided, world) == (0, 0, 0)


def test_networks_created_in_the_period_count_in_each_municipality_they_span(world):
    for municipality, user, started_on, spans in [
        (world.home, world.consultant, D(2025, 5, 1), []),  # created before the period
        (world.home, world.consultant, D(2026, 6, 1), []),
        (world.home, world.consultant, D(2026, 9, 1), [world.other]),  # cross-municipal
        (world.home, world.consultant, D(2027, 1, 1), []),  # after the period
        (world.other, world.outsider, D(2026, 2, 1), []),
    ]:
        services.do_create_network(
            user,
            name="Netværk",
            kind="erfa",
            municipality=municipality,
            started_on=started_on,
            municipalities=spans,
        )

    # Seed 000: "virksomhedsnetværk i alle kommuner – gerne tværkommunale": the network
    # spanning both counts in each; the total is the sum over the municipalities.
    assert values(compute("networks", YEAR, ids(world), {}), world) == (2, 2, 4)


def test_enrolments_by_growth_level_and_subject(world, founder):
    a, b = company_in(world, CVRS[0]), company_in(world, CVRS[1])
    for subject, level, started_on in [
        (a, "A", D(2026, 2, 1)),
        (b, "A", D(2026, 3, 1)),
        (a, "B", D(2026, 4, 1)),
        (founder, "A", D(2026, 5, 1)),
        (founder, "C", D(2026, 6, 1)),
        (b, "C", D(2025, 12, 31)),  # before the period
    ]:
        services.do_enrol_programme(
            world.consultant,
            subject,
            programme="Vækstforløb",
            growth_level=level,
            started_on=started_on,
        )

    def count(**params):
        return compute("enrolments", YEAR, ids(world), params).total.value

    assert count(growth_level="A", subject="company") == 2
    assert count(growth_level="A", subject="founder") == 1
    assert count(growth_level="B") == 1
    assert count(growth_level="C") == 1
    assert count(growth_level="C", subject="company") == 0
    assert count() == 5


def test_hours_spent_before_during_after_and_their_cost(world):
    a, b = company_in(world, CVRS[0]), company_in(world, CVRS[1], world.other)
    guide(world.consultant, world.local, a, D(2026, 2, 1))  # 2 + 4 + 2 by default
    guide(
        world.consultant,
        world.local,
        a,
        D(2026, 3, 1),
        kind="brief",
        hours_before=0,
        hours_during=Decimal("0.5"),
        hours_after=0,
    )
    guide(world.outsider, world.other_local, b, D(2026, 3, 1), hours_before=1, hours_after=1)
    guide(world.consultant, world.local, a, D(2025, 3, 1))  # before the period

    spent = compute("hours", YEAR, ids(world), {})
    cost = compute("hours_cost", YEAR, ids(world), {}, hourly_rate=Decimal(500))
    full_only = compute("hours", YEAR, ids(world), {"kind": "full"})
    no_rate = compute("hours_cost", YEAR, ids(world), {})

    assert values(spent, world) == (Decimal("8.5"), 6, Decimal("14.5"))
    assert values(cost, world) == (4250, 3000, 7250)
    assert cost.total.numerator == Decimal("14.5")
    assert full_only.total.value == 14
    assert no_rate.total.value is None  # no rate on the contract: no value, not 0 kr.


def test_a_goal_may_price_hours_at_its_own_rate(world):
    guide(world.consultant, world.local, company_in(world, CVRS[0]), D(2026, 2, 1))

    result = compute("hours_cost", YEAR, ids(world), {"hourly_rate": 400}, hourly_rate=500)

    assert result.total.value == 3200


def test_amounts_granted_sum_the_granted_projects(world, company):
    other_company = company_in(world, CVRS[1], world.other)
    for subject, user, funding, granted, identified_on in [
        (company, world.consultant, "lag", Decimal("150000"), D(2026, 2, 1)),
        (company, world.consultant, "lag", Decimal("25000.50"), D(2026, 3, 1)),
        (company, world.consultant, "lag", None, D(2026, 3, 1)),  # not granted (yet)
        (company, world.consultant, "other", Decimal("10000"), D(2025, 12, 1)),  # earlier
        (other_company, world.outsider, "other", Decimal("40000"), D(2026, 5, 1)),
    ]:
        services.do_add_project(
            user,
            subject,
            title="p",
            funding=funding,
            identified_on=identified_on,
            amount_granted=granted,
        )

    granted = compute("amounts_granted", YEAR, ids(world), {})
    lag = compute("amounts_granted", YEAR, ids(world), {"funding": "lag"})

    assert values(granted, world) == (Decimal("175000.50"), 40000, Decimal("215000.50"))
    assert values(lag, world) == (Decimal("175000.50"), 0, Decimal("175000.50"))


def held(world, operator, where, day, *, kind="course", themes=(), partners=()):
    """An event run by ``operator`` (and ``partners``) in ``where`` on ``day``."""
    from crm.models import Event

    event = Event.objects.create(
        title=f"{kind} {day}",
        kind=kind,
        date=day,
        place="Rådhuset",
        municipality=where,
        operator=operator,
        themes=list(themes),
        hours=2,
        created_by=world.consultant,
    )
    event.partners.set(partners)
    return event


def took_part(world, event, *, came=True, **who):
    """A company, founder or person (name, e-mail) registered for ``event``, present or not."""
    from crm.models import EventParticipant

    subject = who.get("company") or who.get("founder")
    return EventParticipant.objects.create(
        event=event,
        municipality=subject.municipality if subject else event.municipality,
        attended=came,
        registered_by=world.consultant,
        **who,
    )


def test_event_participants_count_each_company_founder_and_person_once(world):
    """Hand-counted: Viborg has A, F, Ida, Cai and D (five); Aarhus B and Ida (two); the
    total six (Ida once). F2 started A and counts as A; Bo did not come; an event before the
    period and one of an unmeasured operator without a measured partner do not count."""
    from crm.models import Founder, Operator

    a, b, c, d = (company_in(world, cvr) for cvr in CVRS[:4])
    b.municipality = world.other
    b.save()
    f = services.do_create_founder(
        world.consultant, cpr_number="0101902345", name="F", municipality=world.home
    )
    f2 = services.do_create_founder(
        world.consultant, cpr_number="0202913456", name="F2", municipality=world.home
    )
    Founder.objects.filter(pk=f2.pk).update(company=a, company_started_on=D(2026, 4, 1))
    focused = Operator.objects.create(name="Arsenalet", kind=Operator.Kind.FOCUSED)

    course = held(world, world.local, world.home, D(2026, 3, 10), themes=["start_up"])
    for who in ({"company": a}, {"founder": f}, {"name": "Ida", "email": "ida@example.dk"}):
        took_part(world, course, **who)
    took_part(world, course, came=False, name="Bo")
    workshop = held(
        world, world.local, world.home, D(2026, 5, 5), kind="workshop", themes=["digital"]
    )
    for who in ({"company": a}, {"founder": f2}, {"name": "Ida", "email": "IDA@example.dk"}):
        took_part(world, workshop, **who)
    took_part(world, workshop, name="Cai")
    aarhus = held(world, world.other_local, world.other, D(2026, 6, 1), kind="information")
    took_part(world, aarhus, company=b)
    took_part(world, aarhus, name="Ida", email="ida@example.dk")
    took_part(world, held(world, world.local, world.home, D(2025, 12, 31)), company=c)
    took_part(world, held(world, focused, world.home, D(2026, 4, 1)), company=c)
    with_hub = held(world, focused, world.home, D(2026, 4, 2), partners=[world.hub])
    took_part(world, with_hub, company=d)

    def counted(params=None, **kwargs):
        return values(
            compute("event_participants", YEAR, ids(world), params or {}, **kwargs), world
        )

    assert counted() == (5, 2, 6)
    assert counted({"participant": "company"}) == (2, 1, 3)  # A, D; B
    assert counted({"participant": "founder"}) == (2, 0, 2)  # F, F2 (as A)
    assert counted({"participant": "person"}) == (2, 1, 2)  # Ida, Cai; Ida
    assert counted({"themes": ["digital"]}) == (3, 0, 3)  # A, Ida, Cai
    assert counted({"event_kind": "workshop"}) == (3, 0, 3)
    assert counted(operators=[world.hub]) == (1, 0, 1)  # D, as the hub's partner event
