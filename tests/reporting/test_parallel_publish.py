"""Two managers publishing the same draft annual report at the same moment: real HTTP requests
from threads to the live server, each in its own transaction. The row lock and the guarded
update let one publish; the other is told it was published meanwhile (409)."""

from functools import partial

import pytest
from django.utils import timezone

from contracts.models import Contract
from crm.models import Membership
from reporting.models import Report
from tests.conftest import make_member
from tests.crm.test_concurrency import Api, at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_publishing_publishes_once_and_refuses_the_others(live_server, world):
    today = timezone.localdate()
    contract = Contract.objects.create(
        kind="performance", title="Resultatkontrakt", starts_on=today, ends_on=today
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    draft = Report.objects.create(
        kind="annual",
        contract=contract,
        period_start=today,
        period_end=today,
        created_by=world.manager,
        state=Report.State.DONE,
    )
    managers = [world.manager, make_member(world.local, Membership.Role.MANAGER)]
    apis = [Api(live_server, user) for user in managers]
    url = f"/api/v1/reports/{draft.pk}/publish/"

    answers = at_once(*[partial(apis[n % 2], "POST", url, {}) for n in range(6)])

    codes = sorted(code for code, _body, _headers in answers)
    assert codes[0] in (200, 202) and codes[1:] == [409] * 5, answers
    draft.refresh_from_db()
    assert draft.published_at is not None and draft.published_by in managers
