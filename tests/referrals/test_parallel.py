"""State changes of one referral requested at the same moment: real HTTP requests from
threads to pytest-django's live server, each in its own transaction on PostgreSQL. The row
lock and the guarded update let exactly one through; the others are told it changed (409)."""

from functools import partial

import pytest

from crm.models import Membership, Notification
from referrals.models import Referral, ReferralEvent
from tests.conftest import make_member
from tests.crm.test_concurrency import Api, at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_parallel_accepts_give_one_acceptance_one_event_one_notification(
    live_server, world, referral
):
    colleagues = [world.triage] + [make_member(world.hub, Membership.Role.TRIAGE) for _ in "abc"]
    apis = [Api(live_server, user) for user in colleagues]
    url = f"/api/v1/referrals/{referral.pk}/accept/"

    answers = at_once(*[partial(apis[n % len(apis)], "POST", url, {}) for n in range(20)])

    codes = sorted(code for code, _body, _headers in answers)
    assert codes == [200] + [409] * 19, answers
    assert all("Accepteret" in body["detail"] for code, body, _h in answers if code == 409)
    assert Referral.objects.get(pk=referral.pk).state == "accepted"
    assert ReferralEvent.objects.filter(referral=referral, to_state="accepted").count() == 1
    assert Notification.objects.filter(kind="referral_accepted").count() == 1


def test_parallel_decline_and_withdraw_leave_one_story(live_server, world, referral):
    triage, sender = Api(live_server, world.triage), Api(live_server, world.consultant)
    base = f"/api/v1/referrals/{referral.pk}"

    answers = at_once(
        partial(triage, "POST", f"{base}/decline/", {"reason": "Ikke vores målgruppe"}),
        partial(sender, "POST", f"{base}/withdraw/", {}),
    )

    assert sorted(code for code, _body, _headers in answers) == [200, 409], answers
    steps = list(referral.state_changes.values_list("from_state", "to_state"))
    assert steps[0] == ("", "sent") and len(steps) == 2
    assert steps[1] == ("sent", Referral.objects.get(pk=referral.pk).state)
