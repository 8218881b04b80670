import pytest
from django.test import Client
from django.urls import reverse

from crm.models import Notification
from referrals.models import Referral
from tests.conftest import assert_four_users, record_consent

pytestmark = pytest.mark.django_db


def test_refer_page_for_the_four_users(world, company):
    assert_four_users(
        world, reverse("company-referral-create", args=[company.pk]), allowed=world.consultant
    )


def test_founder_refer_page_for_the_four_users(world, founder):
    assert_four_users(
        world, reverse("founder-referral-create", args=[founder.pk]), allowed=world.consultant
    )


def test_refer_without_consent_shows_how_to_record_it(world, company):
    response = world.client_for(world.consultant).post(
        reverse("company-referral-create", args=[company.pk]),
        {"sender_operator": world.local.pk, "target_operator": world.hub.pk, "reason": "Vækst"},
    )

    assert response.status_code == 400
    assert "Registrér samtykket" in response.text
    assert not Referral.objects.exists()


def test_refer_with_consent(world, company, hub_consent):
    response = world.client_for(world.consultant).post(
        reverse("company-referral-create", args=[company.pk]),
        {
            "sender_operator": world.local.pk,
            "target_operator": world.hub.pk,
            "reason": "Vækst",
            "themes": ["export"],
        },
    )

    referral = Referral.objects.get()
    assert response["Location"] == reverse("referral-detail", args=[referral.pk])


def test_referral_page_for_the_four_users(world, referral):
    assert_four_users(
        world, reverse("referral-detail", args=[referral.pk]), allowed=world.consultant
    )
    assert (
        world.client_for(world.triage)
        .get(reverse("referral-detail", args=[referral.pk]))
        .status_code
        == 200
    )


@pytest.mark.parametrize(
    ("action", "data"),
    [("accept", {}), ("contacted", {}), ("decline", {"reason": "Nej"})],
)
def test_triage_actions_for_the_four_users(world, referral, action, data):
    # The sending consultant sees the referral but may not triage it: 403.
    assert_four_users(
        world,
        reverse(f"referral-{action}", args=[referral.pk]),
        method="post",
        data=data,
        allowed=world.triage,
        no_right=world.consultant,
        ok=302,
    )


def test_assign_for_the_four_users(world, referral):
    assert_four_users(
        world,
        reverse("referral-assign", args=[referral.pk]),
        method="post",
        data={"assignee": world.triage.pk},
        allowed=world.triage,
        no_right=world.consultant,
        ok=302,
    )


def test_complete_for_the_four_users(world, referral):
    from referrals.services import mark_contacted

    mark_contacted(world.triage, referral)
    assert_four_users(
        world,
        reverse("referral-complete", args=[referral.pk]),
        method="post",
        allowed=world.triage,
        no_right=world.consultant,
        ok=302,
    )


def test_sender_actions_for_the_four_users(world, company, referral):
    from referrals.models import Adviser
    from referrals.services import send_referral

    adviser = Adviser.objects.create(name="Klynge", kind="cluster")
    to_adviser = send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_adviser=adviser,
        reason="Klyngesamarbejde",
    )
    assert_four_users(
        world,
        reverse("referral-uptake", args=[to_adviser.pk]),
        method="post",
        data={"uptake": "used"},
        allowed=world.consultant,
        ok=302,
    )
    assert_four_users(
        world,
        reverse("referral-withdraw", args=[referral.pk]),
        method="post",
        allowed=world.consultant,
        no_right=world.triage,
        ok=302,
    )
    assert Referral.objects.get(pk=referral.pk).state == "withdrawn"


def test_an_illegal_click_shows_a_clear_message(world, referral):
    client = world.client_for(world.triage)
    client.post(reverse("referral-accept", args=[referral.pk]))

    response = client.post(reverse("referral-accept", args=[referral.pk]), follow=True)

    assert "kan ikke gå fra" in response.text


def test_the_queue_row_answers_htmx_clicks(world, referral):
    response = world.client_for(world.triage).post(
        reverse("referral-accept", args=[referral.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.text.strip().startswith("<tr")
    assert 'data-state="accepted"' in response.text


@pytest.mark.parametrize("name", ["triage-queue", "referral-sent"])
def test_referral_lists_refuse_roles_without_the_right(world, name):
    allowed = world.triage if name == "triage-queue" else world.consultant
    assert world.client_for(allowed).get(reverse(name)).status_code == 200
    assert world.client_for(world.viewer).get(reverse(name)).status_code == 403
    assert Client().get(reverse(name))["Location"].startswith("/login/")


def test_queue_is_oldest_deadline_first_and_filters(world, company, hub_consent, founder):
    from referrals.services import send_referral

    first = send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="a",
        themes=["export"],
    )
    record_consent(world.consultant, founder, given_on=first.sent_at.date(), scope="all")
    second = send_referral(
        world.consultant,
        founder,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="b",
        themes=["green"],
    )
    Referral.objects.filter(pk=second.pk).update(due_on=first.due_on.replace(day=1))
    client = world.client_for(world.triage)

    rows = list(client.get(reverse("triage-queue")).context["page"])
    assert rows == [Referral.objects.get(pk=second.pk), first]
    assert list(client.get(reverse("triage-queue"), {"theme": "export"}).context["page"]) == [first]
    # The outsider's hub view: the queue of another hub never shows these.
    assert list(
        world.client_for(world.consultant).get(reverse("referral-sent")).context["page"]
    ) == [Referral.objects.get(pk=second.pk), first]


def test_queue_does_not_query_per_row(world, company, hub_consent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referrals.services import send_referral

    client = world.client_for(world.triage)

    def queries_for(n):
        for _ in range(n):
            send_referral(
                world.consultant,
                company,
                sender_operator=world.local,
                target_operator=world.hub,
                reason="x",
            )
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("triage-queue"))
        return len(captured)

    assert queries_for(2) == queries_for(20)


def test_inbox_and_opening_a_notification(world, referral):
    client = world.client_for(world.triage)
    notice = Notification.objects.get(recipient=world.triage)
    assert client.get(reverse("inbox")).status_code == 200
    assert 'id="unread">1<' in client.get(reverse("home")).text

    response = client.post(reverse("notification-open", args=[notice.pk]))

    assert response["Location"] == reverse("referral-detail", args=[referral.pk])
    assert Notification.objects.get(pk=notice.pk).read_at is not None
    # Somebody else's notification: 404; anonymous: login.
    assert (
        world.client_for(world.consultant)
        .post(reverse("notification-open", args=[notice.pk]))
        .status_code
        == 404
    )
    assert Client().get(reverse("inbox"))["Location"].startswith("/login/")
