"""The referrals API (/api/v1/): referrals, their state changes, the triage queue, the adviser
register and the caller's notifications, each walked as the four kinds of user."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Membership, Notification
from crm.services import (
    do_add_membership,
    do_create_company,
    do_set_operator_municipalities,
)
from referrals.models import Adviser, Referral
from referrals.services import mark_contacted, send_referral
from tests.conftest import CVRS, assert_four_users, make_member, record_consent
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: dict | None = None, method: str = "post"):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def send(world, subject, **fields) -> Referral:
    defaults = {"sender_operator": world.local, "target_operator": world.hub, "reason": "Vækst"}
    return send_referral(world.consultant, subject, **(defaults | fields))


@pytest.fixture
def adviser():
    return Adviser.objects.create(name="LAG Viborg", kind="funding")


@pytest.fixture
def to_adviser(world, company, adviser):
    return send(world, company, target_operator=None, target_adviser=adviser)


def referral_payload(world, subject, **fields) -> dict:
    return {
        "company": subject.pk,
        "sender_operator": world.local.pk,
        "target_operator": world.hub.pk,
        "reason": "Eksportpotentiale",
        "themes": ["export"],
        "after_screening": True,
    } | fields


# --- Reading ---------------------------------------------------------------------------------


def test_referral_detail_for_the_four_users(world, referral):
    url = reverse("api-referral-detail", args=[referral.pk])
    assert_four_users(world, url, allowed=world.consultant, api=True)
    # The receiving hub's triage sees it too, with its history.
    response = world.client_for(world.triage).get(url)
    assert response.json()["events"][0]["to_state"] == "sent"


def test_a_referral_of_another_operator_in_the_same_municipality_is_404(world, referral):
    neighbour = OperatorFactory(name="Anden erhvervsservice")
    do_set_operator_municipalities(neighbour, [world.home])
    stranger = make_member(neighbour, Membership.Role.CONSULTANT)
    client = world.client_for(stranger)

    assert client.get(reverse("api-referral-detail", args=[referral.pk])).status_code == 404
    assert ids(client.get(reverse("api-referral-list"))) == []


def test_referral_list_shows_what_the_callers_operators_sent_or_received(world, referral):
    url = reverse("api-referral-list")

    for user in (world.consultant, world.manager, world.triage):
        assert ids(world.client_for(user).get(url)) == [referral.pk]
    assert world.client_for(world.viewer).get(url).status_code == 403
    assert ids(world.client_for(world.outsider).get(url)) == []
    assert Client().get(url).status_code == 401


def test_a_referral_reads_with_its_subject_target_and_deadline(world, referral):
    row = world.client_for(world.consultant).get(reverse("api-referral-list")).json()["results"][0]

    assert row["subject_name"] == "Østergaard Smedie ApS"
    assert row["municipality_code"] == "791"
    assert (row["target_name"], row["target_kind"]) == ("Erhvervshus Midtjylland", "hub")
    assert row["due_on"] == referral.due_on.isoformat()
    assert (row["state"], row["themes"], row["after_screening"]) == ("sent", ["export"], True)


def test_referral_list_filters(world, company, founder, hub_consent, referral, to_adviser):
    record_consent(world.consultant, founder, given_on=timezone.localdate(), scope="all")
    late = send(world, founder, themes=["green"])
    Referral.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - datetime.timedelta(1))
    mark_contacted(world.triage, referral)
    client, url = world.client_for(world.consultant), reverse("api-referral-list")
    today = timezone.localdate().isoformat()

    assert ids(client.get(url, {"state": "contacted"})) == [referral.pk]
    assert ids(client.get(url, {"target_kind": "adviser"})) == [to_adviser.pk]
    assert set(ids(client.get(url, {"target_kind": "hub"}))) == {referral.pk, late.pk}
    assert ids(client.get(url, {"overdue": "true"})) == [late.pk]
    assert set(ids(client.get(url, {"overdue": "false"}))) == {referral.pk, to_adviser.pk}
    assert ids(client.get(url, {"theme": "green"})) == [late.pk]
    assert len(ids(client.get(url, {"municipality": "791", "sent_from": today}))) == 3
    assert ids(client.get(url, {"municipality": "751"})) == []
    assert ids(client.get(url, {"sent_to": "2020-01-01"})) == []


def test_referral_list_query_count_does_not_grow_with_rows(
    world, company, hub_consent, to_adviser, django_assert_num_queries
):
    for _ in range(2):
        send(world, company)
    client, url = world.client_for(world.consultant), reverse("api-referral-list")
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get(url))) == 3
    for _ in range(27):
        send(world, company)

    with django_assert_num_queries(len(few)):
        assert len(ids(client.get(url))) == 30


# --- Sending ---------------------------------------------------------------------------------


def test_create_for_the_four_users(world, company, hub_consent):
    url, data = reverse("api-referral-list"), referral_payload(world, company)

    response = post(world.client_for(world.consultant), url, data)

    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert response.json()["id"] == referral.pk
    assert (referral.sent_by, referral.state, referral.municipality) == (
        world.consultant,
        "sent",
        world.home,
    )
    assert Notification.objects.filter(recipient=world.triage, kind="referral_new").exists()
    assert post(world.client_for(world.viewer), url, data).status_code == 403
    # The outsider cannot name a Viborg company: 400 "does not exist", as for a missing one.
    assert post(world.client_for(world.outsider), url, data).status_code == 400
    assert post(Client(), url, data).status_code == 401
    assert Referral.objects.count() == 1


def test_create_without_consent_answers_what_to_do_and_writes_nothing(world, company):
    response = post(
        world.client_for(world.consultant),
        reverse("api-referral-list"),
        referral_payload(world, company),
    )

    assert response.status_code == 400
    assert "samtykke" in response.json()["detail"]
    assert not Referral.objects.exists()


def test_create_for_a_foreign_company_is_refused_and_writes_nothing(world):
    foreign = do_create_company(
        world.outsider, cvr=CVRS[1], name="Aarhus Bageri ApS", municipality=world.other
    )
    response = post(
        world.client_for(world.consultant),
        reverse("api-referral-list"),
        referral_payload(world, foreign),
    )

    assert response.status_code == 400
    assert "company" in response.json()
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (lambda world: {"sender_operator": world.hub.pk}, "sender_operator"),
        (lambda world: {"target_operator": None}, "Vælg enten"),
        (lambda world: {"company": None}, "enten en virksomhed"),
    ],
)
def test_create_refuses_a_foreign_sender_and_a_missing_target_or_subject(
    world, company, hub_consent, fields, message
):
    response = post(
        world.client_for(world.consultant),
        reverse("api-referral-list"),
        referral_payload(world, company, **fields(world)),
    )

    assert response.status_code == 400
    assert message in response.text
    assert not Referral.objects.exists()


def test_create_a_referral_of_a_founder_to_an_adviser(world, founder, adviser):
    response = post(
        world.client_for(world.consultant),
        reverse("api-referral-list"),
        {
            "founder": founder.pk,
            "sender_operator": world.local.pk,
            "target_adviser": adviser.pk,
            "reason": "Finansiering",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["founder"], body["target_kind"], body["due_on"]) == (founder.pk, "adviser", None)
    assert "cpr" not in response.text.lower()


# --- Changes of state ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [("accept", {}), ("contacted", {}), ("decline", {"reason": "Ikke vores målgruppe"})],
)
def test_triage_actions_for_the_four_users(world, referral, action, data):
    # The sending consultant sees the referral but may not triage it: 403.
    assert_four_users(
        world,
        reverse(f"api-referral-{action}", args=[referral.pk]),
        method="post",
        data=data,
        allowed=world.triage,
        no_right=world.consultant,
        api=True,
    )


def test_assign_for_the_four_users(world, referral):
    colleague = make_member(world.hub, Membership.Role.CONSULTANT)
    assert_four_users(
        world,
        reverse("api-referral-assign", args=[referral.pk]),
        method="post",
        data={"assignee": colleague.pk},
        allowed=world.triage,
        no_right=world.consultant,
        api=True,
    )
    assert Referral.objects.get(pk=referral.pk).assignee == colleague


def test_complete_for_the_four_users(world, referral):
    mark_contacted(world.triage, referral)
    assert_four_users(
        world,
        reverse("api-referral-complete", args=[referral.pk]),
        method="post",
        allowed=world.triage,
        no_right=world.consultant,
        api=True,
    )


def test_withdraw_for_the_four_users(world, referral):
    # The receiving triage may not withdraw what another operator sent.
    assert_four_users(
        world,
        reverse("api-referral-withdraw", args=[referral.pk]),
        method="post",
        allowed=world.consultant,
        no_right=world.triage,
        api=True,
    )
    assert Referral.objects.get(pk=referral.pk).state == "withdrawn"


def test_uptake_for_the_four_users(world, to_adviser):
    assert_four_users(
        world,
        reverse("api-referral-uptake", args=[to_adviser.pk]),
        method="post",
        data={"uptake": "used"},
        allowed=world.consultant,
        api=True,
    )
    referral = Referral.objects.get(pk=to_adviser.pk)
    assert (referral.uptake, referral.uptake_source) == ("used", "consultant")


def test_an_illegal_transition_is_a_clear_409(world, referral):
    client, url = world.client_for(world.triage), reverse("api-referral-accept", args=[referral.pk])
    assert post(client, url).status_code == 200

    response = post(client, url)

    assert response.status_code == 409  # the referral's state refuses it: a conflict
    assert "kan ikke gå fra" in response.json()["detail"]
    assert list(referral.state_changes.values_list("to_state", flat=True)) == ["sent", "accepted"]


def test_decline_without_a_reason_is_refused_by_the_service(world, referral):
    response = post(
        world.client_for(world.triage),
        reverse("api-referral-decline", args=[referral.pk]),
        {"reason": " "},
    )

    assert response.status_code == 400
    assert "hvorfor" in response.json()["detail"]
    assert Referral.objects.get(pk=referral.pk).state == "sent"


def test_accept_names_only_a_colleague_at_the_receiving_operator(world, referral):
    client, url = world.client_for(world.triage), reverse("api-referral-accept", args=[referral.pk])

    refused = post(client, url, {"assignee": world.consultant.pk})

    assert refused.status_code == 400 and "assignee" in refused.json()
    colleague = make_member(world.hub, Membership.Role.CONSULTANT)
    assert post(client, url, {"assignee": colleague.pk}).json()["assignee"] == colleague.pk


def test_uptake_is_for_adviser_referrals_only(world, referral):
    response = post(
        world.client_for(world.consultant),
        reverse("api-referral-uptake", args=[referral.pk]),
        {"uptake": "used"},
    )

    assert response.status_code == 400
    assert "eksterne rådgivere" in response.json()["detail"]


def test_the_sender_sees_the_state_changes_and_is_notified(world, referral):
    triage = world.client_for(world.triage)
    post(triage, reverse("api-referral-accept", args=[referral.pk]))
    post(triage, reverse("api-referral-contacted", args=[referral.pk]))

    sender = world.client_for(world.consultant)
    body = sender.get(reverse("api-referral-detail", args=[referral.pk])).json()

    assert (body["state"], body["assignee"]) == ("contacted", world.triage.pk)
    assert [event["to_state"] for event in body["events"]] == ["sent", "accepted", "contacted"]
    assert body["events"][1]["by"] == world.triage.pk
    assert body["kept_deadline"] is True
    assert ids(sender.get(reverse("api-referral-list"), {"state": "contacted"})) == [referral.pk]
    inbox = sender.get(reverse("api-notification-list")).json()["results"]
    assert [row["kind"] for row in inbox] == ["referral_accepted"]


# --- The triage queue ------------------------------------------------------------------------


def test_queue_for_the_four_users(world, referral):
    url = reverse("api-referral-queue")

    assert ids(world.client_for(world.triage).get(url)) == [referral.pk]
    # No "triage_referrals" anywhere: 403, for the sender as for the viewer and the outsider.
    for user in (world.consultant, world.viewer, world.outsider):
        assert world.client_for(user).get(url).status_code == 403
    assert Client().get(url).status_code == 401


def test_queue_is_open_referrals_oldest_deadline_first(world, company, hub_consent, referral):
    later = send(world, company)
    Referral.objects.filter(pk=later.pk).update(due_on=referral.due_on + datetime.timedelta(1))
    earlier = send(world, company)
    Referral.objects.filter(pk=earlier.pk).update(due_on=referral.due_on - datetime.timedelta(1))
    done = send(world, company)
    mark_contacted(world.triage, done)
    client, url = world.client_for(world.triage), reverse("api-referral-queue")

    assert ids(client.get(url)) == [earlier.pk, referral.pk, later.pk]
    assert ids(client.get(url, {"overdue": "true"})) == []


def test_queue_pages_through_referrals_with_and_without_a_deadline(
    world, company, hub_consent, settings
):
    # The hub's triage also triages for a focused service, whose referrals get no deadline:
    # the cursor must reach those after the last one with a deadline (the first page ends
    # there), then page on among those without one (the second page ends there).
    size = settings.REST_FRAMEWORK["PAGE_SIZE"]
    focused = OperatorFactory(name="Eksportrådet", kind="focused")
    do_set_operator_municipalities(focused, [world.home])
    do_add_membership(world.triage, focused, Membership.Role.TRIAGE)
    record_consent(world.consultant, company, given_on=timezone.localdate(), scope="all")
    sent = [send(world, company, target_operator=world.hub).pk for _ in range(size)]
    sent += [send(world, company, target_operator=focused).pk for _ in range(size + 1)]
    client, url, seen, pages = world.client_for(world.triage), reverse("api-referral-queue"), [], 0
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url, pages = page["next"], pages + 1

    assert (seen, pages) == (sent, 3)


# --- The adviser register --------------------------------------------------------------------


def test_adviser_register_is_read_by_everyone_who_records(world, adviser):
    urls = [reverse("api-adviser-list"), reverse("api-adviser-detail", args=[adviser.pk])]
    for url in urls:
        # A national register: the outsider reads it too; the viewer records nothing.
        for user in (world.consultant, world.triage, world.outsider):
            assert world.client_for(user).get(url).status_code == 200, (url, user)
        assert world.client_for(world.viewer).get(url).status_code == 403
        assert Client().get(url).status_code == 401
    assert ids(world.client_for(world.consultant).get(urls[0], {"kind": "funding"})) == [adviser.pk]


def test_adviser_register_is_kept_by_managers(world, adviser):
    create = {"name": "Designrådgiveren", "kind": "design", "email": "hej@design.dk"}
    url, detail = reverse("api-adviser-list"), reverse("api-adviser-detail", args=[adviser.pk])

    assert post(world.client_for(world.manager), url, create).status_code == 201
    assert post(world.client_for(world.manager), detail, {"active": False}, "patch").json() == {
        "id": adviser.pk,
        "name": "LAG Viborg",
        "kind": "funding",
        "contact": "",
        "email": "",
        "phone": "",
        "active": False,
    }
    for user in (world.consultant, world.triage, world.viewer, world.outsider):
        client = world.client_for(user)
        assert post(client, url, create | {"name": "Ny"}).status_code == 403, user
        assert post(client, detail, {"active": True}, "patch").status_code == 403, user
    assert post(Client(), url, create).status_code == 401
    assert list(Adviser.objects.values_list("name", "active")) == [
        ("Designrådgiveren", True),
        ("LAG Viborg", False),
    ]


def test_an_inactive_adviser_cannot_be_referred_to(world, company, adviser):
    adviser.active = False
    adviser.save()
    response = post(
        world.client_for(world.consultant),
        reverse("api-referral-list"),
        referral_payload(world, company, target_operator=None, target_adviser=adviser.pk),
    )

    assert response.status_code == 400 and "target_adviser" in response.json()


# --- Notifications ---------------------------------------------------------------------------


def test_notifications_are_only_the_callers_own(world, referral):
    notice = Notification.objects.get(recipient=world.triage)
    url = reverse("api-notification-list")

    assert ids(world.client_for(world.triage).get(url)) == [notice.pk]
    for user in (world.consultant, world.viewer, world.outsider):
        assert ids(world.client_for(user).get(url)) == [], user
    assert Client().get(url).status_code == 401


@pytest.mark.parametrize(("name", "method"), [("detail", "get"), ("read", "post")])
def test_another_users_notification_is_404(world, referral, name, method):
    notice = Notification.objects.get(recipient=world.triage)
    url = reverse(f"api-notification-{name}", args=[notice.pk])

    for user in (world.consultant, world.viewer, world.outsider):
        assert getattr(world.client_for(user), method)(url).status_code == 404, user
    assert getattr(Client(), method)(url).status_code == 401
    assert Notification.objects.get(pk=notice.pk).read_at is None
    assert getattr(world.client_for(world.triage), method)(url).status_code == 200


def test_marking_read_counts_down_and_filters(world, referral):
    notice = Notification.objects.get(recipient=world.triage)
    client = world.client_for(world.triage)
    count_url, list_url = reverse("api-notification-unread-count"), reverse("api-notification-list")
    assert client.get(count_url).json() == {"count": 1}
    assert ids(client.get(list_url, {"unread": "true"})) == [notice.pk]

    response = post(client, reverse("api-notification-read", args=[notice.pk]))

    assert response.json()["read_at"] is not None
    assert client.get(count_url).json() == {"count": 0}
    assert ids(client.get(list_url, {"unread": "true"})) == []
    assert ids(client.get(list_url, {"unread": "false"})) == [notice.pk]
    assert world.client_for(world.consultant).get(count_url).json() == {"count": 0}
    assert Client().get(count_url).status_code == 401
