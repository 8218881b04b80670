"""Honoraria (seed 001 §8) on hand-made data with the expected totals written out: 500 kr. per
founder registered and guided by the local party (before start and up to three years after),
and up to 2,500 kr. per screening and referral of a growth company or founder to the hub, at
the screening's hours times the hourly rate."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract, PaymentRule
from contracts.services import settlement
from crm import services
from referrals.models import Referral
from referrals.services import send_referral
from tests.conftest import CVRS, record_consent

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = 2025
START, END = D(YEAR, 1, 1), D(YEAR, 12, 31)


@pytest.fixture
def agreement(world):
    """Viborg and Aarhus, the two local services as parties; 300 kr. an hour on the
    referral rule (the contract's own rate, 500 kr., is not used for it)."""
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale 2025",
        starts_on=START,
        ends_on=END,
        status="active",
        hourly_rate=500,
    )
    contract.municipalities.set([world.home, world.other])
    contract.parties.set([world.local, world.other_local, world.hub])
    PaymentRule.objects.create(contract=contract, kind="founder", amount=500)
    PaymentRule.objects.create(
        contract=contract, kind="growth_referral", amount=2500, hourly_rate=300
    )
    return contract


def guide(world, subject, day, *, user=None, operator=None, tier="local", **fields):
    return services.do_log_session(
        user or world.consultant,
        subject,
        operator=operator or world.local,
        date=day,
        tier=tier,
        channel="visit",
        **fields,
    )


def new_founder(world, cpr, *, started=None, user=None, municipality=None):
    founder = services.do_create_founder(
        user or world.consultant,
        cpr_number=cpr,
        name=f"Iværksætter {cpr[:4]}",
        municipality=municipality or world.home,
    )
    if started:
        founder.company_started_on = started
        founder.save()
    return founder


@pytest.fixture
def founders(world):
    """Paid in 2025: before start; two years after start; and the Aarhus founder (for users
    who see Aarhus). Not paid: five years after start, guided by the hub, a brief contact
    only, first guided in 2024."""
    paid = [
        new_founder(world, "0102901234"),
        new_founder(world, "0103901234", started=D(2023, 3, 1)),
    ]
    for founder in paid:
        guide(world, founder, D(YEAR, 3, 1))
    guide(world, new_founder(world, "0104901234", started=D(2020, 1, 1)), D(YEAR, 3, 1))
    by_hub = new_founder(world, "0105901234")
    guide(world, by_hub, D(YEAR, 3, 1), user=world.triage, operator=world.hub, tier="specialised")
    guide(world, new_founder(world, "0106901234"), D(YEAR, 3, 1), kind="brief")
    earlier = new_founder(world, "0107901234")
    guide(world, earlier, D(YEAR - 1, 12, 1))
    guide(world, earlier, D(YEAR, 2, 1))
    aarhus = new_founder(world, "0108901234", user=world.outsider, municipality=world.other)
    guide(world, aarhus, D(YEAR, 4, 1), user=world.outsider, operator=world.other_local)
    return paid, aarhus


def company(world, index, **fields):
    """Registered by the local consultant; the segment (set by the hub on a page) is set
    directly here."""
    company = services.do_create_company(
        world.consultant, cvr=CVRS[index], name=f"Virksomhed {index}", municipality=world.home
    )
    for name, value in fields.items():
        setattr(company, name, value)
    company.save()
    record_consent(world.consultant, company)
    return company


def refer(world, subject, sent_on, *, after_screening=True):
    referral = send_referral(
        world.consultant,
        subject,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Vækst",
        after_screening=after_screening,
    )
    when = datetime.datetime.combine(sent_on, datetime.time(12), tzinfo=datetime.UTC)
    Referral.objects.filter(pk=referral.pk).update(sent_at=when)
    return referral


def screen(world, subject, day, hours, result=""):
    before, during, after = hours
    return guide(
        world,
        subject,
        day,
        screening_done=True,
        screening_result=result,
        hours_before=before,
        hours_during=during,
        hours_after=after,
    )


@pytest.fixture
def referrals(world):
    """Paid: a growth-potential company screened 4 hours (4 x 300 = 1,200 kr.); a growth-
    segment company screened 10 hours (3,000 kr., capped at 2,500). Not paid: no potential
    found; no screening session; a referral not after screening."""
    potential = company(world, 0, growth_potential="A")
    screen(world, potential, D(YEAR, 4, 1), (1, 2, 1))
    segment = company(world, 1, segment="growth")
    screen(world, segment, D(YEAR, 4, 1), (2, 4, 4))
    paid = [refer(world, potential, D(YEAR, 4, 2)), refer(world, segment, D(YEAR, 4, 1))]
    without_potential = company(world, 2)
    screen(world, without_potential, D(YEAR, 4, 1), (1, 1, 1))
    refer(world, without_potential, D(YEAR, 4, 2))
    refer(world, company(world, 3, growth_potential="B"), D(YEAR, 4, 2))
    refer(world, potential, D(YEAR, 5, 2), after_screening=False)
    return paid


def lines_of(contract, user=None, start=START, end=END):
    lines, total = settlement(contract, start, end, user=user)
    return {line.rule.kind: line for line in lines}, total


def test_founders_paid_once_before_start_and_up_to_three_years_after(world, agreement, founders):
    paid, aarhus = founders

    lines, total = lines_of(agreement, user=world.manager)

    line = lines["founder"]
    assert [founder.pk for founder in line.evidence] == [founder.pk for founder in paid]
    assert line.amount == Decimal(1000)
    assert total == Decimal(1000)


def test_the_settlement_shows_only_municipalities_the_user_sees(world, agreement, founders):
    paid, aarhus = founders

    everywhere, total = lines_of(agreement)  # a report without a user: the whole contract

    assert {f.pk for f in everywhere["founder"].evidence} == {f.pk for f in [*paid, aarhus]}
    assert total == Decimal(1500)


def test_registrations_before_the_contract_period_are_not_paid_by_it(world, agreement, founders):
    """Seed 001 §3 and §8: the agreement pays for its own period (1.1.-31.12.); the founder
    first guided the year before is neither paid now nor by asking for last year."""
    lines, total = lines_of(
        agreement, user=world.manager, start=D(YEAR - 1, 1, 1), end=D(YEAR - 1, 12, 31)
    )

    assert lines["founder"].evidence == []
    assert total == Decimal(0)


def test_growth_referrals_paid_at_hours_times_rate_capped(world, agreement, referrals):
    lines, total = lines_of(agreement, user=world.manager)

    line = lines["growth_referral"]
    potential, segment = referrals
    assert [r.pk for r in line.evidence] == [segment.pk, potential.pk]  # by date sent
    assert sorted(r.paid for r in line.evidence) == [Decimal(1200), Decimal(2500)]
    assert line.amount == Decimal(3700)
    assert total == Decimal(3700)


def test_without_an_hourly_rate_the_referral_rule_pays_its_amount(world, agreement, referrals):
    agreement.payment_rules.filter(kind="growth_referral").update(hourly_rate=None)
    agreement.hourly_rate = None
    agreement.save()

    lines, total = lines_of(agreement, user=world.manager)

    assert total == Decimal(5000)


def test_the_contract_rate_applies_when_the_rule_has_none(world, agreement, referrals):
    agreement.payment_rules.filter(kind="growth_referral").update(hourly_rate=None)

    lines, total = lines_of(agreement, user=world.manager)

    assert sorted(r.paid for r in lines["growth_referral"].evidence) == [2000, 2500]
    assert total == Decimal(4500)


def test_a_founder_referred_after_screening_within_three_years(world, agreement):
    young = new_founder(world, "0109901234", started=D(2023, 1, 1))
    old = new_founder(world, "0110901234", started=D(2019, 1, 1))
    for founder in (young, old):
        record_consent(world.consultant, founder)
        screen(world, founder, D(YEAR, 6, 1), (2, 2, 2), result="B")
        refer(world, founder, D(YEAR, 6, 1))
    agreement.payment_rules.filter(kind="founder").delete()

    lines, total = lines_of(agreement, user=world.manager)

    assert [r.founder for r in lines["growth_referral"].evidence] == [young]
    assert total == Decimal(1800)  # 6 hours x 300 kr.


def test_settlement_page_and_api_give_the_same_total(world, agreement, founders, referrals):
    client = world.client_for(world.manager)
    period = {"start": START.isoformat(), "end": END.isoformat()}

    page = client.get(reverse("contract-settlement", args=[agreement.pk]), period)
    api = client.get(reverse("api-contract-settlement", args=[agreement.pk]), period)

    assert page.context["total"] == Decimal(4700)
    assert api.json()["total"] == "4700.00"
    amounts = [item["amount"] for line in api.json()["lines"] for item in line["evidence"]]
    assert sorted(amounts) == ["1200.00", "2500.00", "500.00", "500.00"]
    assert "0102901234" not in api.content.decode() and "010290-xxxx" in page.content.decode()


def test_settlement_needs_no_query_per_registration(
    world, agreement, founders, referrals, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        lines_of(agreement, user=world.manager)
