import datetime

import pytest
from django.utils import timezone

from contracts.models import Contract, Goal, PaymentRule
from crm import services

TODAY = timezone.localdate()


@pytest.fixture
def contract(world):
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale Viborg",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
        hourly_rate=500,
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    Goal.objects.create(
        contract=contract,
        number="1",
        title="Vejledte virksomheder",
        indicator="companies_contacted",
        target=200,
    )
    Goal.objects.create(
        contract=contract,
        number="2",
        title="Tilfredse brugere",
        indicator="satisfaction_share",
        target_kind="share",
        target=80,
        params={"answers": ["very", "satisfied"]},
    )
    Goal.objects.create(contract=contract, number="9", title="Klynger", is_milestone=True)
    return contract


@pytest.fixture
def payable(world, contract, company, founder, hub_consent):
    """A founder registered and guided today by the local party (500 kr.) and one referral
    after a Væksthjulet screening (8 hours x 500 kr., capped at 2,500 kr.) of a company with
    growth potential to the hub; a referral without screening is not paid for."""
    from referrals.services import send_referral

    for subject, screening in ((founder, {}), (company, {"screening_done": True})):
        services.do_log_session(
            world.consultant,
            subject,
            operator=world.local,
            date=TODAY,
            tier="local",
            channel="visit",
            **screening,
        )
    company.growth_potential = "A"
    company.save()
    contract.parties.add(world.hub)  # the specialised service that pays (seed 001 §8)
    PaymentRule.objects.create(contract=contract, kind="founder", amount=500)
    PaymentRule.objects.create(contract=contract, kind="growth_referral", amount=2500)
    paid = send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Vækst",
        after_screening=True,
    )
    send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Uden screening",
    )
    return paid
