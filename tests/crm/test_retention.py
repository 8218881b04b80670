"""Retention and erasure (crm.retention, crm.anonymise): the nightly run anonymises what the
rules say has expired and keeps every count; a manager erases a person on request unless a
legal hold (a contract's settlement and audit) keeps the data; the viewer reaches none of it."""

import datetime
import os

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.indicators import participant_key
from contracts.models import Contract, Goal, PaymentRule, Snapshot
from contracts.services import compute_attainment
from crm import events, retention, services
from crm.anonymise import ANONYMISED
from crm.models import (
    AnonymisationRun,
    Company,
    Consent,
    ContactPerson,
    ErasureRequest,
    Event,
    EventParticipant,
    Founder,
    GuidanceSession,
    Notification,
    RetentionRule,
    SearchWord,
)
from referrals.models import Referral, ReferralEvent
from referrals.services import accept_referral, send_referral
from tests.conftest import CPR, assert_four_users, record_consent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LONG_AGO = datetime.date(2020, 5, 4)  # more than three years before TODAY
PERSON = {
    "name": "Xenia Quistgaard",
    "address": "Skovbrynet 17",
    "phone": "61 72 83 94",
    "email": "xenia.q@postkasse.dk",
    "education": "Smed",
}


def histories():
    """Every change-history row of the records a founder has (as plain values)."""
    from crm.anonymise import history_models

    rows = []
    for model in (Founder, GuidanceSession, Consent, Referral, ContactPerson):
        for event in history_models(model):
            rows += list(event.objects.values())
    return rows


def all_text() -> str:
    """What the records, their history and the inbox hold, as one text."""
    rows = [
        *Founder.objects.values(),
        *ContactPerson.objects.values(),
        *GuidanceSession.objects.values(),
        *Consent.objects.values(),
        *Referral.objects.values(),
        *ReferralEvent.objects.values(),
        *Notification.objects.values(),
        *ErasureRequest.objects.values(),
        *SearchWord.objects.values(),
        *histories(),
    ]
    return repr(rows)


def secrets() -> list[str]:
    return [*PERSON.values(), "quistgaard", CPR, f"{CPR[:6]}-{CPR[6:]}", "1990-01-01"]


def age(founder, day: datetime.date) -> None:
    """Move everything about ``founder`` back to ``day`` (services date things today)."""
    moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    Founder.objects.filter(pk=founder.pk).update(created_at=moment)
    GuidanceSession.objects.filter(founder=founder).update(date=day)
    Consent.objects.filter(founder=founder).update(given_on=day, recorded_at=moment)
    Referral.objects.filter(founder=founder).update(sent_at=moment)
    EventParticipant.objects.filter(founder=founder).update(registered_at=moment)


@pytest.fixture
def person(world):
    """A founder with everything that identifies her: contact details, a note, a consent, a
    referral to the hub (accepted, so the sender's inbox names her), all long ago."""
    founder = services.do_create_founder(
        world.consultant, cpr_number=CPR, municipality=world.home, **PERSON
    )
    services.do_log_session(
        world.consultant,
        founder,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content=f"{PERSON['name']} vil åbne smedje. CPR {CPR}, ring {PERSON['phone']}",
    )
    record_consent(world.consultant, founder, scope="named", operators=[world.hub])
    referral = send_referral(
        world.consultant,
        founder,
        sender_operator=world.local,
        target_operator=world.hub,
        reason=f"Ring til {PERSON['name']} på {PERSON['phone']}",
    )
    accept_referral(world.triage, referral)
    age(founder, LONG_AGO)
    return founder


def snapshots() -> list[tuple]:
    columns = ["pk", "goal", "municipality", "value", "numerator", "denominator", "status"]
    rows = Snapshot.objects.values_list(*columns)
    return sorted(rows, key=lambda row: (row[1], row[2] or 0))


def run(**kwargs) -> AnonymisationRun:
    return retention.do_run_retention(today=TODAY, **kwargs)


# --- The nightly run -------------------------------------------------------------------------


def test_a_founder_past_retention_is_anonymised_by_the_nightly_job(world, person):
    assert PERSON["name"] in all_text()  # the history and the inbox hold her too

    done = run()

    founder = Founder.objects.get(pk=person.pk)
    assert done.counts["founder"] == 1 and done.finished_at
    assert founder.name == ANONYMISED and founder.anonymised_at
    assert bytes(founder.cpr_encrypted) == b"" and founder.cpr_hash == f"anonymiseret-{person.pk}"
    assert founder.birth_date == datetime.date(1990, 7, 1)  # the year stays, for age groups
    assert (founder.sex, founder.municipality) == (person.sex, world.home)
    text = all_text()
    assert not [secret for secret in secrets() if secret in text]
    # Counts, dates and kinds stay: the session, consent and referral are all still there.
    session = GuidanceSession.objects.get(founder=founder)
    assert (session.date, session.kind, session.content) == (LONG_AGO, "full", "")
    assert Referral.objects.get(founder=founder).state == "accepted"
    assert services.find_founder_by_cpr(CPR) is None


def test_the_contracts_snapshots_are_unchanged_and_a_recompute_counts_the_same(world, person):
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale Viborg 2020",
        starts_on=datetime.date(2020, 1, 1),
        ends_on=datetime.date(2020, 12, 31),
        status="closed",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    Goal.objects.create(
        contract=contract, number="1", title="Iværksættere", indicator="founders_guided"
    )
    Goal.objects.create(
        contract=contract,
        number="2",
        title="Unge",
        indicator="founders_share",
        params={"group": "young"},
    )
    compute_attainment(contract, contract.ends_on)
    before = snapshots()
    assert sorted(row[3] for row in before if row[2] is None) == [1, 100]

    run()

    assert snapshots() == before
    compute_attainment(contract, contract.ends_on)  # recomputed from the anonymised records
    assert [row[1:] for row in snapshots()] == [row[1:] for row in before]


def test_a_rerun_does_nothing(world, person):
    run()
    history = histories()

    again = run()

    assert again.total == 0 and again.finished_at
    assert histories() == history  # no row was written, so no event either


def test_a_run_that_stopped_is_resumed_where_it_got_to(world, person):
    others = [
        services.do_create_founder(
            world.consultant, cpr_number=number, name=f"Gammel {i}", municipality=world.home
        )
        for i, number in enumerate(["0202802345", "0303702345"])
    ]
    for founder in others:
        age(founder, LONG_AGO)

    stopped = run(size=1, max_batches=2)  # the erasure phase, then one founder: a dying worker

    assert not stopped.finished_at and stopped.counts == {"erasure": 0, "founder": 1}
    resumed = run(size=1)
    assert resumed.pk == stopped.pk and resumed.counts["founder"] == 3
    assert not Founder.objects.filter(anonymised_at__isnull=True).exists()


def test_the_dry_run_shows_what_the_next_run_does_and_writes_nothing(world, person, company):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed Hansen")
    ContactPerson.objects.filter(pk=contact.pk).update(left_on=datetime.date(2024, 6, 30))
    history = histories()

    steps = {step.kind: step for step in retention.plan(TODAY)}

    assert (steps["founder"].due, steps["contact_left"].due, steps["ceased_company"].due) == (
        1,
        1,
        0,
    )
    assert histories() == history
    done = run()
    assert done.counts == {kind: step.due for kind, step in steps.items()}


def test_a_recent_contact_keeps_a_founder(world, person):
    GuidanceSession.objects.filter(founder=person).update(date=datetime.date(2024, 1, 15))

    assert run().total == 0
    assert Founder.objects.get(pk=person.pk).name == PERSON["name"]


def settled_contract(world, *, ends_on: datetime.date) -> Contract:
    """A cooperation agreement paying honoraria per founder over the person's session."""
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale Viborg",
        starts_on=datetime.date(2020, 1, 1),
        ends_on=ends_on,
        status="closed",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    PaymentRule.objects.create(contract=contract, kind="founder", amount=500)
    return contract


def test_a_contract_in_settlement_and_audit_holds_the_founder_until_its_audit_time_ends(
    world, person
):
    settled_contract(world, ends_on=datetime.date(2022, 12, 31))  # audited until 31.12.2027

    steps = {step.kind: step for step in retention.plan(TODAY)}
    assert (steps["founder"].due, steps["founder"].held) == (0, 1)
    assert run().total == 0

    RetentionRule.objects.filter(kind="contract_audit").update(years=3)  # the administrator
    assert run().counts["founder"] == 1


def test_contact_persons_who_left_and_a_ceased_companys_notes_are_anonymised(world, company):
    left = services.do_add_contact(world.consultant, company, name="Bo Smed Hansen")
    staying = services.do_add_contact(world.consultant, company, name="Mette Holm")

    ContactPerson.objects.filter(pk=left.pk).update(left_on=datetime.date(2025, 12, 1))
    assert run().total == 0  # left less than a year before TODAY
    ContactPerson.objects.filter(pk=left.pk).update(left_on=datetime.date(2025, 11, 29))
    assert run().counts["contact_left"] == 1
    assert ContactPerson.objects.get(pk=staying.pk).name == "Mette Holm"

    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local",
        channel="visit", content="Ejeren Mette Holm er syg",
    )  # fmt: skip
    Company.objects.filter(pk=company.pk).update(
        status="ceased", created_at=datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC)
    )
    GuidanceSession.objects.filter(company=company).update(date=datetime.date(2021, 3, 1))
    assert run().counts["ceased_company"] == 1
    assert GuidanceSession.objects.get(company=company).content == ""
    assert ContactPerson.objects.get(pk=staying.pk).name == ANONYMISED
    assert Company.objects.get(pk=company.pk).name == company.name  # the register's facts stay


def an_event(world, day: datetime.date):
    event = events.do_create_event(
        world.consultant, operator=world.local, title="Start egen virksomhed", kind="course",
        date=TODAY, place="Viborg Bibliotek", municipality=world.home, themes=["start_up"],
        hours=3,
    )  # fmt: skip
    Event.objects.filter(pk=event.pk).update(date=day)
    return event


def ida_at(world, event):
    return events.do_register_participant(
        world.consultant, event, name="Ida Idé", email="Ida@example.dk", municipality=world.home,
        sex="F", age_band="18_30",
    )  # fmt: skip


def test_a_person_at_an_event_who_never_became_a_record_is_anonymised_after_three_years(
    world, company
):
    first = an_event(world, datetime.date(2023, 6, 1))
    ida = ida_at(world, first)
    registered = events.do_register_participant(world.consultant, first, company=company)
    later = an_event(world, datetime.date(2023, 12, 1))
    again = ida_at(world, later)
    again.email = "ida@EXAMPLE.dk"
    again.save()

    def people() -> int:
        return len(set(EventParticipant.objects.values_list(participant_key(), flat=True)))

    counted = people()
    assert counted == 2  # the company and Ida

    assert run().counts["event_person"] == 0  # her last event is less than three years ago
    Event.objects.filter(pk=later.pk).update(date=datetime.date(2023, 11, 29))
    assert run().counts["event_person"] == 2

    for kept in EventParticipant.objects.filter(pk__in=[ida.pk, again.pk]):
        assert (kept.name, kept.sex, kept.age_band) == (ANONYMISED, "F", "18_30")
        assert kept.email == f"anonymiseret-{ida.pk}@anonymiseret.invalid"
    assert people() == counted  # the indicators count her once still
    history = repr(list(EventParticipant.pgh_event_model.objects.values())).lower()
    assert "ida idé" not in history and "ida@example.dk" not in history
    assert EventParticipant.objects.get(pk=registered.pk).company == company
    assert run().total == 0


# --- Erasure on request ----------------------------------------------------------------------


def test_a_manager_erases_a_founder_at_once_without_a_legal_hold(world, person):
    url = reverse("founder-erase", args=[person.pk])
    client = world.client_for(world.manager)
    assert "legal-hold" not in client.get(url).text

    response = client.post(url, {"reason": "Bad om sletning pr. telefon 30.11.2026"})

    assert response.status_code == 302 and response["Location"] == reverse(
        "founder-detail", args=[person.pk]
    )
    request = ErasureRequest.objects.get()
    assert request.done_at and request.requested_by == world.manager and not request.holds
    assert Founder.objects.get(pk=person.pk).name == ANONYMISED
    assert not [secret for secret in secrets() if secret in all_text()]
    page = client.get(reverse("founder-detail", args=[person.pk])).text
    assert 'id="anonymised"' in page and "founder-reveal-cpr" not in page


def test_an_erasure_waits_for_a_legal_hold_which_the_page_shows(world, person):
    settled_contract(world, ends_on=datetime.date(2022, 6, 30))
    url = reverse("founder-erase", args=[person.pk])
    client = world.client_for(world.manager)

    page = client.get(url).text
    assert 'id="legal-hold"' in page and "Samarbejdsaftale Viborg" in page
    assert "30.06.2027" in page  # the end plus five years of audit, dd.mm.yyyy

    response = client.post(url, {"reason": "Bad om sletning pr. brev"})

    assert response.status_code == 302 and response["Location"] == url
    request = ErasureRequest.objects.get()
    assert request.done_at is None and "Samarbejdsaftale Viborg" in request.holds
    assert Founder.objects.get(pk=person.pk).name == PERSON["name"]
    assert 'id="waiting"' in client.get(url).text
    assert run().total == 0  # still held

    RetentionRule.objects.filter(kind="contract_audit").update(years=3)  # the hold ends
    done = run()

    assert done.counts["erasure"] == 1
    assert ErasureRequest.objects.get().done_at
    assert Founder.objects.get(pk=person.pk).name == ANONYMISED


def test_an_erased_contact_person_leaves_no_trace_in_the_companys_records(world, company):
    record_consent(world.consultant, company, scope="named", operators=[world.hub])
    contact = company.contacts.get()  # the one who gave the consent
    ContactPerson.objects.filter(pk=contact.pk).update(
        name="Bo Smed Hansen", phone="20 30 40 50", email="bo@smedie.dk"
    )
    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local",
        channel="phone", content="Talte med Bo Smed Hansen (bo@smedie.dk) om eksport",
    )  # fmt: skip
    send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Ring til bo smed hansen på 20 30 40 50",
    )
    client = world.client_for(world.manager)

    response = client.post(reverse("contact-erase", args=[contact.pk]), {"reason": "Fratrådt"})

    assert response.status_code == 302
    assert ContactPerson.objects.get(pk=contact.pk).name == ANONYMISED
    text = all_text()
    assert not [
        s for s in ["Bo Smed Hansen", "bo smed hansen", "bo@smedie.dk", "20 30 40 50"] if s in text
    ]
    assert GuidanceSession.objects.get(company=company, channel="phone").content == (
        f"Talte med {ANONYMISED} ({ANONYMISED}) om eksport"
    )
    assert Referral.objects.get().reason == f"Ring til {ANONYMISED} på {ANONYMISED}"
    assert Consent.objects.get(company=company).given_by_id == contact.pk  # the evidence stays


def test_an_erased_contact_persons_access_request_loses_its_file(
    world, company, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from reporting.models import Report

    contact = services.do_add_contact(world.consultant, company, name="Bo Smed Hansen")
    report = Report.objects.create(kind="contact", contact=contact, created_by=world.manager)
    report.file.save("indsigt.pdf", ContentFile(b"%PDF Bo Smed Hansen"))
    path = report.file.path

    with django_capture_on_commit_callbacks(execute=True):
        retention.do_request_erasure(world.manager, contact, reason="Fratrådt, bad om sletning")

    report.refresh_from_db()
    assert not report.file
    assert not os.path.exists(path)


def test_an_erasure_reason_is_required_and_holds_no_cpr_number(world, person):
    url = reverse("founder-erase", args=[person.pk])
    client = world.client_for(world.manager)

    for reason in ["", f"Bad om det, CPR {CPR[:6]}-{CPR[6:]}"]:
        response = client.post(url, {"reason": reason})
        assert response.status_code == 400

    assert not ErasureRequest.objects.exists()
    assert Founder.objects.get(pk=person.pk).name == PERSON["name"]


def test_a_second_request_a_reveal_and_an_edit_after_anonymisation_are_refused(world, person):
    retention.do_request_erasure(world.manager, person, reason="Bad om det")
    person.refresh_from_db()

    with pytest.raises(services.DomainError):
        retention.do_request_erasure(world.manager, person, reason="Igen")
    reveal = world.client_for(world.manager).post(reverse("founder-reveal-cpr", args=[person.pk]))
    assert reveal.status_code == 403
    with pytest.raises(services.DomainError):
        services.do_update_founder(world.consultant, person, name=PERSON["name"])


# --- Who reaches it --------------------------------------------------------------------------


def test_the_erasure_and_retention_pages_for_the_four_users(world, person, company):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed Hansen")
    urls = [
        reverse("founder-erase", args=[person.pk]),
        reverse("contact-erase", args=[contact.pk]),
        reverse("retention-plan", args=[world.home.code]),
    ]
    for url in urls:
        assert_four_users(world, url, allowed=world.manager)
        assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)
    for url in urls[:2]:
        for user in (world.viewer, world.consultant, world.outsider, None):
            client = world.client_for(user) if user else Client()
            assert client.post(url, {"reason": "Bad om det"}).status_code in (302, 403, 404)
    assert not ErasureRequest.objects.exists()
    assert Founder.objects.get(pk=person.pk).name == PERSON["name"]


def test_the_retention_page_shows_the_next_run_in_the_municipality(world, person):
    response = world.client_for(world.manager).get(
        reverse("retention-plan", args=[world.home.code])
    )

    founders = next(step for step in response.context["steps"] if step.kind == "founder")
    assert (founders.due, founders.examples) == (1, [person])
    assert reverse("founder-detail", args=[person.pk]) in response.text
    home = world.client_for(world.manager).get(
        reverse("municipality-detail", args=[world.home.code])
    )
    assert reverse("retention-plan", args=[world.home.code]) in home.text


def test_an_administrator_edits_the_rules_beside_the_national_dry_run(world, person):
    administrator = UserFactory(is_staff=True, is_superuser=True)

    response = world.client_for(administrator).get(reverse("admin:crm_retentionrule_changelist"))

    assert response.status_code == 200
    assert [step.due for step in response.context["plan"] if step.kind == "founder"] == [1]
    assert RetentionRule.objects.get(kind="founder").years == retention.DEFAULT_YEARS["founder"]


def test_the_nightly_job_is_in_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["retention"]["task"] == "crm.tasks.run_retention"


def test_the_task_runs_the_retention_and_returns_counts_only(world, person):
    from crm import tasks

    assert tasks.run_retention.delay().get()["founder"] == 1
