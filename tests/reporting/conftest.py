"""The contract the reporting pages and PDFs are tested on: one computed goal with a value
(a session in Viborg today) snapshotted yesterday and today, and a milestone."""

import datetime

import pytest
from django.utils import timezone

from contracts.models import Contract, Goal
from contracts.services import compute_attainment
from crm import services

D = datetime.date
TODAY = timezone.localdate()


@pytest.fixture
def contract(world, company):
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt Viborg",
        starts_on=D(TODAY.year, 1, 1),
        ends_on=D(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    Goal.objects.create(
        contract=contract,
        number="1",
        title="Kontaktede virksomheder",
        indicator="companies_contacted",
        target=40,
        text="Kontakt til 40 virksomheder",
    )
    Goal.objects.create(contract=contract, number="9", title="Klyngeaftaler", is_milestone=True)
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content="Fortroligt indhold",
    )
    compute_attainment(contract, TODAY - datetime.timedelta(days=1))
    compute_attainment(contract, TODAY)
    return contract
