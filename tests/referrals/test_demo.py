import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from crm.demo import HUB_NAME, REGION_CODE, DemoSizes, local_service_name, seed_demo
from crm.models import Consent, Membership, Municipality, Operator
from crm.reference import load_reference_data
from referrals import calendar
from referrals.demo import seed_referrals
from referrals.models import Adviser, Referral, ReferralEvent
from referrals.queries import triage_queue

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
CRM = DemoSizes(companies=120, founders=20, sessions=400, projects=8, enrolments=6)
HUB, ADVISERS = 40, 30
State = Referral.State


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The crm demo and the referrals once for the module, rolled back at its end."""
    fast_hasher = override_settings(PASSWORD_HASHERS=[MD5])
    with django_db_blocker.unblock(), fast_hasher, transaction.atomic():
        load_reference_data()
        seed_demo(CRM)
        yield seed_referrals(rng_seed=7, hub=HUB, advisers=ADVISERS)
        transaction.set_rollback(True)


@pytest.fixture
def created(seeded, db):
    return seeded


def hub() -> Operator:
    return Operator.objects.get(name=HUB_NAME)


def test_the_sizes_asked_for_from_the_local_services_of_the_region(created):
    local = [local_service_name(m) for m in Municipality.objects.filter(region__code=REGION_CODE)]
    referrals = Referral.objects.all()

    assert created["referrals"] == referrals.count() == HUB + ADVISERS
    assert referrals.filter(target_operator=hub()).count() == HUB
    assert referrals.filter(target_adviser__isnull=False).count() == ADVISERS
    assert not referrals.exclude(sender_operator__name__in=local).exists()
    assert not referrals.exclude(municipality__region__code=REGION_CODE).exists()
    assert created["events"] == ReferralEvent.objects.count()


def test_every_referral_is_sent_by_a_member_of_its_sender_about_its_municipality(created):
    for referral in Referral.objects.select_related("company", "founder"):
        assert Membership.objects.filter(
            user=referral.sent_by_id, operator=referral.sender_operator_id
        ).exists()
        assert referral.subject.municipality_id == referral.municipality_id


def test_every_referral_to_the_hub_had_consent_on_the_day_it_was_sent(created):
    for referral in Referral.objects.filter(target_operator=hub()):
        day = timezone.localdate(referral.sent_at)
        subject = {"company": referral.company_id} if referral.company_id else {}
        subject = subject or {"founder": referral.founder_id}
        assert (
            Consent.objects.filter(**subject, given_on__lte=day)
            .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
            .filter(Q(scope=Consent.Scope.ALL) | Q(operators=hub()))
            .exists()
        ), referral.pk


def test_events_tell_each_referrals_story_through_allowed_transitions(created):
    for referral in Referral.objects.prefetch_related("state_changes"):
        events = list(referral.state_changes.all())
        rules = {(source, c.target) for c in referral.changes for source in c.sources}
        assert (events[0].from_state, events[0].to_state) == ("", State.SENT)
        assert events[0].at == referral.sent_at and events[0].by_id == referral.sent_by_id
        for before, event in zip(events, events[1:], strict=False):
            assert event.from_state == before.to_state
            assert (event.from_state, event.to_state) in rules
            assert before.at <= event.at <= timezone.now()
        assert events[-1].to_state == referral.state


def test_the_states_are_spread_and_kept_consistent(created):
    hub_states = set(Referral.objects.filter(target_operator=hub()).values_list("state", flat=True))
    adviser_states = set(
        Referral.objects.filter(target_adviser__isnull=False).values_list("state", flat=True)
    )

    assert {State.COMPLETED, State.CONTACTED} <= hub_states
    assert hub_states & {State.SENT, State.ACCEPTED}
    assert State.COMPLETED in adviser_states
    assert not adviser_states & {State.ACCEPTED, State.DECLINED}
    reached = [State.CONTACTED, State.COMPLETED]
    assert (
        not Referral.objects.filter(target_operator=hub(), state__in=reached)
        .filter(Q(contacted_at__isnull=True) | Q(assignee__isnull=True))
        .exists()
    )
    assert (
        not Referral.objects.exclude(state__in=reached).filter(contacted_at__isnull=False).exists()
    )
    assert not Referral.objects.filter(state=State.DECLINED, decline_reason="").exists()
    assert not Referral.objects.filter(state=State.ACCEPTED, assignee__isnull=True).exists()


def test_deadlines_follow_the_calendar_and_are_mostly_kept(created):
    to_hub = Referral.objects.filter(target_operator=hub())
    for referral in to_hub:
        assert referral.due_on == calendar.due_date(timezone.localdate(referral.sent_at))
    assert not Referral.objects.filter(target_adviser__isnull=False, due_on__isnull=False).exists()
    contacted = [r for r in to_hub if r.contacted_at]
    kept = [r for r in contacted if r.kept_deadline]
    assert contacted and len(kept) >= 0.75 * len(contacted)


def test_the_demo_triage_user_has_urgent_referrals_in_the_queue(created):
    visitator = get_user_model().objects.get(username="visitator")
    urgent = [r.deadline_status for r in triage_queue(visitator) if r.deadline_status]

    assert urgent.count("overdue") >= 3
    if calendar.is_working_day(timezone.localdate()):
        assert urgent.count("today") >= 2


def test_uptake_only_on_adviser_referrals_that_were_not_withdrawn(created):
    answered = Referral.objects.exclude(uptake="")

    assert answered.exists()
    assert not answered.filter(target_adviser__isnull=True).exists()
    assert not answered.filter(state=State.WITHDRAWN).exists()
    assert not answered.filter(Q(uptake_source="") | Q(uptake_recorded_at__isnull=True)).exists()
    assert set(answered.values_list("uptake", flat=True)) <= set(Referral.Uptake.values)


def test_the_adviser_register_holds_every_kind_with_the_design_ecosystem_and_lag(created):
    kinds = set(Adviser.objects.values_list("kind", flat=True))

    assert kinds >= {"private", "knowledge", "cluster", "design", "funding"}
    assert Adviser.objects.filter(name="Dansk Design Center", kind="design").exists()
    assert (
        Adviser.objects.filter(name__in=["LAG Viborg", "LAG Randers"], kind="funding").count() == 2
    )
    assert Adviser.objects.filter(active=False).exists()


def test_seeding_twice_creates_nothing(created):
    counts = [m.objects.count() for m in (Referral, ReferralEvent, Consent, Adviser)]

    assert seed_referrals(rng_seed=7, hub=HUB, advisers=ADVISERS) == {}
    assert [m.objects.count() for m in (Referral, ReferralEvent, Consent, Adviser)] == counts
