import datetime

import pytest

from contracts.models import Contract, Goal

TODAY = datetime.date.today()


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
