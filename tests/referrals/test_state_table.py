"""The referral state table (referrals.models) is the one source: the services follow it, the
open and final states come from it, and the pages show exactly the buttons it allows the
user's party in the referral's state."""

import re

import pytest
from django.urls import reverse

from crm.services import NotAllowed
from referrals import services
from referrals.models import (
    CHANGE_ACTIONS,
    FINAL_STATES,
    OPEN_STATES,
    TO_ADVISER,
    TO_OPERATOR,
    Adviser,
    Referral,
)
from referrals.views import ACTIONS

pytestmark = pytest.mark.django_db
State = Referral.State
SERVICES = {
    "accept": services.accept_referral,
    "contacted": services.mark_contacted,
    "complete": services.complete_referral,
    "withdraw": services.withdraw_referral,
    "decline": lambda user, referral: services.decline_referral(user, referral, reason="Nej"),
}


def test_the_derived_states_and_actions():
    assert OPEN_STATES == (State.SENT, State.ACCEPTED)
    assert set(FINAL_STATES) == {State.COMPLETED, State.DECLINED, State.WITHDRAWN}
    assert set(CHANGE_ACTIONS) == set(SERVICES) and set(CHANGE_ACTIONS) <= set(ACTIONS)
    for change in (*TO_OPERATOR, *TO_ADVISER):
        assert reverse(change.url_name, args=[1]).endswith(f"/{change.action}/")


def buttons(response) -> list[str]:
    """The state changes a page offers, by the URL they post to."""
    return re.findall(r'(?:action|hx-post)="/henvisninger/\d+/(\w+)/"', response.text)


def offered(world, user, referral) -> list[str]:
    page = world.client_for(user).get(reverse("referral-detail", args=[referral.pk]))
    return [action for action in buttons(page) if action in CHANGE_ACTIONS]


def test_the_detail_page_offers_each_party_what_the_table_allows_now(world, referral):
    assert offered(world, world.triage, referral) == ["accept", "contacted", "decline"]
    assert offered(world, world.consultant, referral) == ["withdraw"]

    services.accept_referral(world.triage, referral)
    assert offered(world, world.triage, referral) == ["contacted", "decline"]

    services.mark_contacted(world.triage, referral)
    assert offered(world, world.triage, referral) == ["complete"]
    assert offered(world, world.consultant, referral) == []

    services.complete_referral(world.triage, referral)
    page = world.client_for(world.triage).get(reverse("referral-detail", args=[referral.pk]))
    assert buttons(page) == []  # final: no change, no assignment


def test_a_referral_to_an_adviser_is_followed_up_by_its_sender(world, company):
    adviser = Adviser.objects.create(name="LAG Viborg", kind="funding")
    referral = services.send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_adviser=adviser,
        reason="Finansiering",
    )

    assert offered(world, world.consultant, referral) == ["contacted", "complete", "withdraw"]
    services.mark_contacted(world.consultant, referral)
    assert offered(world, world.consultant, referral) == ["complete"]


def test_the_queue_row_offers_triage_the_table_s_changes(world, referral):
    queue = world.client_for(world.triage).get(reverse("triage-queue"))
    assert buttons(queue) == ["accept", "contacted"]
    assert f'href="/henvisninger/{referral.pk}/#decline"' in queue.text

    row = world.client_for(world.triage).post(
        reverse("referral-accept", args=[referral.pk]), HTTP_HX_REQUEST="true"
    )
    assert buttons(row) == ["contacted"]


@pytest.mark.parametrize("change", TO_OPERATOR, ids=lambda c: c.action)
def test_every_change_of_the_table_is_made_by_its_party_only(world, referral, change):
    """From each state the change leaves, its party makes it; others may not; from every
    other state it is refused."""
    party = {"target": world.triage, "worker": world.triage, "sender": world.consultant}
    stranger = world.consultant if change.party != "sender" else world.triage
    for state in State.values:
        Referral.objects.filter(pk=referral.pk).update(state=state)
        fresh = Referral.objects.get(pk=referral.pk)
        if state not in change.sources:
            with pytest.raises(services.DomainError):
                SERVICES[change.action](party[change.party], fresh)
            continue
        with pytest.raises(NotAllowed):
            SERVICES[change.action](stranger, fresh)
        SERVICES[change.action](party[change.party], fresh)
        assert Referral.objects.get(pk=referral.pk).state == change.target


def test_a_change_from_a_state_it_cannot_leave_is_a_conflict(world, referral):
    services.accept_referral(world.triage, referral)
    stale = Referral.objects.get(pk=referral.pk)
    Referral.objects.filter(pk=referral.pk).update(state=State.WITHDRAWN)

    with pytest.raises(services.Conflict, match="i mellemtiden"):
        services.mark_contacted(world.triage, stale)

    assert stale.state == State.WITHDRAWN  # read again under the lock
