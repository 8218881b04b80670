import datetime

import pytest
from django.core import mail
from django.utils import timezone

from crm import notifications, services
from crm.models import Membership, Notification
from crm.services import DomainError, NotAllowed
from referrals import calendar
from referrals import services as referrals
from referrals.models import Adviser, Referral
from tests.conftest import make_member, record_consent

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def send(world, subject, **fields):
    defaults = {
        "sender_operator": world.local,
        "target_operator": world.hub,
        "reason": "Vækstpotentiale",
        "themes": ["export"],
    }
    return referrals.send_referral(world.consultant, subject, **{**defaults, **fields})


def test_a_referral_to_an_operator_without_consent_is_refused_with_what_to_do(world, company):
    with pytest.raises(DomainError, match="Registrér samtykket"):
        send(world, company)
    assert not Referral.objects.exists()
    assert not Notification.objects.exists()


def test_consent_to_another_operator_is_not_enough(world, company):
    record_consent(
        world.consultant, company, given_on=TODAY, scope="named", operators=[world.other_local]
    )
    with pytest.raises(DomainError, match="samtykke"):
        send(world, company)


def test_a_sent_referral_to_a_hub_gets_its_deadline_and_tells_triage(
    world, company, hub_consent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = send(world, company)

    assert referral.state == "sent"
    assert referral.due_on == calendar.due_date(TODAY)
    assert referral.municipality == world.home
    inbox = Notification.objects.get(recipient=world.triage)
    assert inbox.kind == "referral_new" and inbox.url.endswith(f"/{referral.pk}/")
    assert [m.to for m in mail.outbox] == [[world.triage.email]]


def test_a_referral_to_an_external_adviser_needs_no_consent_and_no_deadline(world, company):
    adviser = Adviser.objects.create(name="LAG Viborg", kind="funding")
    referral = send(world, company, target_operator=None, target_adviser=adviser)

    assert referral.due_on is None
    assert referral.target == adviser


def test_the_state_machine_from_sent_to_completed(world, referral):
    with pytest.raises(NotAllowed):
        referrals.accept_referral(world.consultant, referral)

    referrals.accept_referral(world.triage, referral)
    referrals.mark_contacted(world.triage, referral)
    referrals.complete_referral(world.triage, referral)

    referral.refresh_from_db()
    assert referral.state == "completed" and referral.assignee == world.triage
    assert referral.kept_deadline is True
    steps = list(referral.state_changes.values_list("to_state", "by"))
    assert steps == [
        ("sent", world.consultant.pk),
        ("accepted", world.triage.pk),
        ("contacted", world.triage.pk),
        ("completed", world.triage.pk),
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "completed"),
        (["accepted"], "accepted"),
        (["declined"], "contacted"),
        (["withdrawn"], "accepted"),
    ],
)
def test_an_illegal_transition_is_a_clear_error(world, referral, path, illegal):
    for state in path:
        referrals.transition(
            world.consultant if state == "withdrawn" else world.triage, referral, state
        )
        referral.save()

    with pytest.raises(DomainError, match="kan ikke gå fra"):
        referrals.transition(world.triage, referral, illegal)


def test_decline_needs_a_reason_and_goes_back_to_the_sender(world, referral):
    with pytest.raises(DomainError, match="hvorfor"):
        referrals.decline_referral(world.triage, referral, reason=" ")

    referrals.decline_referral(world.triage, referral, reason="Ikke vores målgruppe")

    assert referral.state == "declined"
    notice = Notification.objects.get(recipient=world.consultant, kind="referral_declined")
    assert "Ikke vores målgruppe" in notice.body


def test_only_the_sender_withdraws(world, referral):
    with pytest.raises(NotAllowed):
        referrals.withdraw_referral(world.triage, referral)
    referrals.withdraw_referral(world.consultant, referral)
    assert Referral.objects.get().state == "withdrawn"


def test_assign_to_a_colleague_of_the_hub_only(world, referral):
    colleague = make_member(world.hub, Membership.Role.CONSULTANT)
    referrals.accept_referral(world.triage, referral, assignee=colleague)
    assert referral.assignee == colleague
    with pytest.raises(DomainError, match="ansat hos"):
        referrals.assign_referral(world.triage, referral, assignee=world.outsider)
    # The assignee may mark it contacted.
    referrals.mark_contacted(colleague, referral)


def test_uptake_for_adviser_referrals_only(world, company, referral):
    adviser = Adviser.objects.create(name="Designrådgiver", kind="design")
    to_adviser = send(world, company, target_operator=None, target_adviser=adviser)

    referrals.record_uptake(world.consultant, to_adviser, uptake="expects")
    assert Referral.objects.get(pk=to_adviser.pk).uptake == "expects"
    with pytest.raises(DomainError, match="eksterne rådgivere"):
        referrals.record_uptake(world.consultant, referral, uptake="used")
    with pytest.raises(NotAllowed):
        referrals.record_uptake(world.outsider, to_adviser, uptake="used")


# --- Notifications -------------------------------------------------------------------------


def test_a_notification_is_never_created_or_sent_twice(world, django_capture_on_commit_callbacks):
    message = notifications.Message("advis", "test:1", "Emne")
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications.do_notify([world.consultant, world.consultant], message)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.do_notify([world.consultant], message)
    notifications.send_emails(first)  # a retried task

    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_deadline_scan_notifies_once_and_again_when_missed(world, referral):
    manager = make_member(world.hub, Membership.Role.MANAGER)
    due = referral.due_on

    assert referrals.scan_deadlines(due - datetime.timedelta(days=1)) == 0
    assert referrals.scan_deadlines(due) == 2  # triage (no assignee yet) and the manager
    assert referrals.scan_deadlines(due) == 0
    assert referrals.scan_deadlines(due + datetime.timedelta(days=1)) == 2
    assert referrals.scan_deadlines(due + datetime.timedelta(days=2)) == 0
    kinds = set(Notification.objects.filter(recipient=manager).values_list("kind", flat=True))
    assert kinds == {"deadline_soon", "deadline_missed"}


def test_contacted_stops_the_clock(world, referral):
    referrals.mark_contacted(world.triage, referral)
    assert referrals.scan_deadlines(referral.due_on + datetime.timedelta(days=5)) == 0


# --- Advis ---------------------------------------------------------------------------------


def log(world, user, operator, subject, date=TODAY):
    return services.do_log_session(
        user, subject, operator=operator, date=date, tier="specialised", channel="phone"
    )


def test_advis_when_the_hub_meets_a_company_the_local_service_has_not_seen(world, company):
    hub_consultant = make_member(world.hub, Membership.Role.CONSULTANT)
    log(world, hub_consultant, world.hub, company)

    notice = Notification.objects.get(recipient=world.consultant, kind="advis")
    assert company.name in notice.title
    assert Notification.objects.filter(kind="advis", recipient=world.manager).exists()
    assert not Notification.objects.filter(kind="advis", recipient=world.outsider).exists()


def test_no_advis_after_a_local_contact_within_twelve_months(world, company):
    log(world, world.consultant, world.local, company, TODAY - datetime.timedelta(days=300))
    log(world, make_member(world.hub, Membership.Role.CONSULTANT), world.hub, company)

    assert not Notification.objects.filter(kind="advis").exists()


def test_advis_after_a_local_contact_older_than_twelve_months(world, company):
    log(world, world.consultant, world.local, company, TODAY - datetime.timedelta(days=400))
    log(world, make_member(world.hub, Membership.Role.CONSULTANT), world.hub, company)

    assert Notification.objects.filter(kind="advis", recipient=world.consultant).exists()


def test_advis_names_a_founder_only_with_consent(world, founder):
    hub_consultant = make_member(world.hub, Membership.Role.CONSULTANT)
    log(world, hub_consultant, world.hub, founder)
    anonymous = Notification.objects.get(recipient=world.consultant, kind="advis")
    assert founder.name not in anonymous.title and anonymous.url == ""

    record_consent(world.consultant, founder, given_on=TODAY, scope="all")
    log(world, hub_consultant, world.hub, founder, TODAY - datetime.timedelta(days=1))
    named = Notification.objects.filter(recipient=world.consultant, kind="advis").latest("pk")
    assert founder.name in named.title


def test_no_advis_for_local_sessions(world, company):
    log(world, world.consultant, world.local, company)
    assert not Notification.objects.exists()
