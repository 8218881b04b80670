"""Consent as evidence (crm/consents.py): who gave it, how, to whom and when; a consent
recorded by an operator that has not guided the subject opens nothing until the subject
confirms it through a one-time link or an operator holding the records accepts it; every read
on the strength of a consent is logged for the holders' managers; a withdrawn consent stops
opening anything on the next request, on pages, in the API, in exports and PDFs.

The cast: Viborg's local service (``world.local``: consultant, manager, viewer) guides a
company and a founder and keeps private notes on them; the hub (``world.hub``: triage and a
consultant of its own) serves Viborg too but has never guided them."""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from crm import consents, services
from crm.consents import BACKDATE_DAYS, LinkRefused
from crm.models import Consent, ConsentAcceptance, ConsentAccess, Membership, Operator
from crm.services import DomainError, NotAllowed, do_set_operator_municipalities
from referrals.services import send_referral
from reporting.models import Report
from tests.conftest import CVRS, assert_four_users, make_member
from tests.counting import assert_queries_do_not_grow
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
NOTE = "Fortroligt: likviditetsproblemer"


def log(user, subject, operator, *, content=NOTE, day=TODAY, kind="full"):
    tier = {"local": "local", "hub": "specialised", "focused": "focused"}[operator.kind]
    return services.do_log_session(
        user,
        subject,
        operator=operator,
        date=day,
        tier=tier,
        channel="visit",
        kind=kind,
        content=content,
    )


@pytest.fixture
def hub_consultant(world):
    return make_member(world.hub, Membership.Role.CONSULTANT)


@pytest.fixture
def notes(world, company, founder):
    """The local service's private records: a session with each, a contact person with an
    e-mail, a development project and a founder's details and programme."""
    contact = services.do_add_contact(
        world.consultant, company, name="Mette Holm", email="mette@smedie.dk", phone="20304050"
    )
    founder.email, founder.phone, founder.address = "ane@example.dk", "22334455", "Skolegade 1"
    founder.save()
    return {
        "company_session": log(world.consultant, company, world.local),
        "founder_session": log(world.consultant, founder, world.local),
        "contact": contact,
        "project": services.do_add_project(
            world.consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
        ),
        "programme": services.do_enrol_programme(
            world.consultant, founder, programme="Vækstspor", growth_level="B", started_on=TODAY
        ),
    }


def record(user, subject, **fields):
    """Record through the service with a consent's usual evidence (said in a meeting)."""
    defaults = {"given_on": TODAY, "scope": "all", "method": "meeting"}
    return consents.do_record_consent(user, subject, **(defaults | fields))


def link_mails() -> list:
    return [m for m in mail.outbox if "Bekræft samtykke" in m.subject]


def link_in(message) -> str:
    """The link's path in the e-mail to the subject."""
    return re.search(r"/samtykke/[^/\s]+/", message.body).group(0)


def hub_sees_founder(world, founder, notes) -> dict:
    """What the hub reads of the founder on its page, in the API and in the participants
    export."""
    hub = world.client_for(world.triage)
    page = hub.get(reverse("founder-detail", args=[founder.pk]))
    api = hub.get(reverse("api-founder-detail", args=[founder.pk])).json()
    sessions = hub.get(reverse("api-session-list"), {"founder": founder.pk}).json()["results"]
    export = hub.get(reverse("export-participants", args=["csv"]), {"programme": "Vækstspor"})
    return {
        "page_note": NOTE in page.text,
        "page_details": "ane@example.dk" in page.text,
        "api_details": api["email"] is not None,
        "api_sessions": [s["id"] for s in sessions],
        "export": founder.name in export.content.decode(),
    }


NOTHING = {
    "page_note": False,
    "page_details": False,
    "api_details": False,
    "api_sessions": [],
    "export": False,
}


# --- Who, how, to whom, when ---------------------------------------------------------------


def test_a_consent_names_who_gave_it_how_to_whom_and_when(world, company, notes):
    consent = record(world.consultant, company, given_by=notes["contact"])

    assert consent.given_by == notes["contact"]
    assert consent.method == Consent.Method.MEETING
    assert (consent.operator, consent.recorded_by) == (world.local, world.consultant)
    assert consent.given_on == TODAY and consent.recorded_at is not None
    # The local service guided the company: in force at once.
    assert consent.confirmation == Consent.Confirmation.GUIDED
    assert consent.state == Consent.State.IN_FORCE


def test_a_company_consent_is_given_by_one_of_its_contact_persons(world, company, notes):
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Anden ApS", municipality=world.home
    )
    strangers = services.do_add_contact(world.consultant, other, name="Hans Anden")

    for given_by in (None, strangers):
        with pytest.raises(DomainError, match="kontaktperson"):
            record(world.consultant, company, given_by=given_by)
    assert not Consent.objects.exists()


def test_a_future_dated_consent_is_refused_with_a_clear_message(world, company, notes):
    tomorrow = TODAY + datetime.timedelta(days=1)
    with pytest.raises(DomainError, match="senere end den dag, det registreres"):
        record(world.consultant, company, given_by=notes["contact"], given_on=tomorrow)

    response = world.client_for(world.consultant).post(
        reverse("company-consent-create", args=[company.pk]),
        {
            "given_on": tomorrow.isoformat(),
            "method": "meeting",
            "given_by": notes["contact"].pk,
            "scope": "all",
        },
    )
    assert response.status_code == 400
    assert "kan ikke dateres senere end den dag, det registreres" in response.text
    assert not Consent.objects.exists()


def test_a_back_dated_consent_is_refused_beyond_the_window(world, company, notes):
    too_old = TODAY - datetime.timedelta(days=BACKDATE_DAYS + 1)
    log(world.consultant, company, world.local, day=too_old)

    response = world.client_for(world.consultant).post(
        reverse("api-consent-list"),
        {
            "company": company.pk,
            "given_on": too_old.isoformat(),
            "method": "meeting",
            "given_by": notes["contact"].pk,
            "scope": "all",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert f"senest {BACKDATE_DAYS} dage efter" in response.json()["detail"]
    assert not Consent.objects.exists()
    edge = TODAY - datetime.timedelta(days=BACKDATE_DAYS)
    log(world.consultant, company, world.local, day=edge)
    assert record(world.consultant, company, given_by=notes["contact"], given_on=edge).pk


def test_a_consent_said_in_a_meeting_belongs_to_a_logged_meeting(world, company, notes):
    yesterday = TODAY - datetime.timedelta(days=1)
    with pytest.raises(DomainError, match="Registrér vejledningen først"):
        record(world.consultant, company, given_by=notes["contact"], given_on=yesterday)


def test_a_signed_form_is_uploaded_and_read_only_by_those_who_hold_the_records(
    world, company, notes, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("company-consent-create", args=[company.pk])
    data = {"given_on": TODAY.isoformat(), "method": "form", "given_by": notes["contact"].pk}
    client = world.client_for(world.consultant)

    refused = client.post(url, data | {"scope": "all"})
    assert refused.status_code == 400 and "Upload den underskrevne" in refused.text

    form = SimpleUploadedFile("blanket.pdf", b"%PDF-1.4 underskrevet", "application/pdf")
    saved = client.post(
        url, data | {"scope": "named", "operators": [world.hub.pk], "document": form}
    )
    assert saved.status_code == 302
    consent = Consent.objects.get()
    document = reverse("consent-document", args=[consent.pk])
    assert b"underskrevet" in b"".join(client.get(document).streaming_content)
    assert_four_users(world, document, allowed=world.consultant)
    # The hub is named by the consent but holds no records: the signature is not its to see.
    assert world.client_for(world.triage).get(document).status_code == 403


def test_a_correction_is_a_new_consent_with_the_reason_that_replaces_the_old(world, company, notes):
    wrong = record(world.consultant, company, given_by=notes["contact"])
    with pytest.raises(DomainError, match="hvorfor"):
        record(world.consultant, company, given_by=notes["contact"], corrects=wrong)

    url = reverse("consent-correct", args=[wrong.pk])
    response = world.client_for(world.consultant).post(
        url,
        {
            "given_on": TODAY.isoformat(),
            "method": "meeting",
            "given_by": notes["contact"].pk,
            "scope": "named",
            "operators": [world.hub.pk],
            "correction_reason": "Kun erhvervshuset, ikke alle",
        },
    )

    assert response.status_code == 302
    correction = Consent.objects.get(corrects=wrong)
    assert correction.correction_reason == "Kun erhvervshuset, ikke alle"
    assert list(correction.operators.all()) == [world.hub]
    wrong.refresh_from_db()
    assert wrong.state == Consent.State.CORRECTED
    assert not Consent.objects.live().filter(pk=wrong.pk).exists()


def test_only_the_recording_operator_corrects_a_consent(world, company, notes, hub_consultant):
    consent = record(world.consultant, company, given_by=notes["contact"])
    url = reverse("consent-correct", args=[consent.pk])

    assert_four_users(world, url, allowed=world.consultant)
    assert world.client_for(hub_consultant).get(url).status_code == 403
    with pytest.raises(NotAllowed):
        record(
            hub_consultant,
            company,
            given_by=notes["contact"],
            corrects=consent,
            correction_reason="x",
        )


# --- A consent by an operator that never guided the subject ------------------------------


def test_a_consent_by_an_operator_that_never_guided_unlocks_nothing_until_the_subject_confirms(
    world, founder, notes, hub_consultant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consent = record(hub_consultant, founder, method="email")

    assert consent.operator == world.hub and consent.state == Consent.State.AWAITING
    assert hub_sees_founder(world, founder, notes) == NOTHING
    assert not ConsentAccess.objects.exists()
    # The page says so.
    page = world.client_for(hub_consultant).get(reverse("founder-detail", args=[founder.pk]))
    assert "Gælder ikke endnu" in page.text and "det tilsendte link" in page.text
    # The link went to the founder's registered address, and holds nothing personal.
    (message,) = link_mails()
    assert message.to == ["ane@example.dk"]
    link = link_in(message)
    assert founder.name not in link and "0101" not in link and "ane" not in link

    answer = Client().post(link, {"answer": "confirm"})

    assert answer.status_code == 200 and "Samtykket er bekræftet" in answer.text
    consent.refresh_from_db()
    assert consent.confirmation == Consent.Confirmation.SUBJECT
    seen = hub_sees_founder(world, founder, notes)
    assert seen["page_note"] and seen["api_details"] and seen["export"]
    assert seen["api_sessions"] == [notes["founder_session"].pk]


def test_an_operator_that_never_guided_a_company_cannot_name_its_contact_persons(
    world, company, notes, hub_consultant
):
    response = world.client_for(hub_consultant).post(
        reverse("api-consent-list"),
        {
            "company": company.pk,
            "given_on": TODAY.isoformat(),
            "method": "email",
            "given_by": notes["contact"].pk,
            "scope": "all",
        },
        content_type="application/json",
    )

    assert response.status_code == 400 and "given_by" in response.json()
    assert not Consent.objects.exists()


@pytest.fixture
def hubs_notes(world, company, founder, hub_consultant):
    """The hub guided the company and keeps notes, a project and a programme; the contact
    person is the hub's registration (so a link may go there)."""
    hub = world.client_for(hub_consultant)
    hub.post(
        reverse("contact-create", args=[company.pk]),
        {"name": "Mette Holm", "email": "mette@smedie.dk"},
    )
    return {
        "session": log(hub_consultant, company, world.hub),
        "project": services.do_add_project(
            hub_consultant, company, title="Eksportplan", identified_on=TODAY, funding="other"
        ),
        "programme": services.do_enrol_programme(
            hub_consultant, company, programme="Vækstspor", growth_level="A", started_on=TODAY
        ),
    }


def local_sees_hub_notes(world, company, capture) -> dict:
    """What the local service reads of the hub's session notes on the company: on the page,
    in the API, on the rows page and in the company summary PDF. (Its contact persons,
    projects and programmes the local service reads anyway: it keeps the registration of
    every company in its municipality, ``works_with``.)"""
    client = world.client_for(world.consultant)
    page = client.get(reverse("company-detail", args=[company.pk]))
    sessions = client.get(reverse("api-session-list"), {"company": company.pk}).json()
    rows = client.get(reverse("goal-rows", args=["vejledninger"]))
    with capture(execute=True):
        client.post(reverse("company-report", args=[company.pk]))
    report = Report.objects.filter(created_by=world.consultant).latest("pk")
    pdf = PdfReader(report.file.open("rb"))
    return {
        "page": NOTE in page.text,
        "api": [s["id"] for s in sessions["results"]],
        "rows": NOTE in rows.text,
        "pdf": NOTE in " ".join(p.extract_text() for p in pdf.pages),
    }


def test_the_local_service_that_never_guided_cannot_open_the_hubs_notes_with_its_own_consent(
    world, company, hubs_notes, hub_consultant, django_capture_on_commit_callbacks
):
    before = local_sees_hub_notes(world, company, django_capture_on_commit_callbacks)
    contact = company.contacts.get()
    with django_capture_on_commit_callbacks(execute=True):
        consent = record(world.consultant, company, given_by=contact, method="email")

    after = local_sees_hub_notes(world, company, django_capture_on_commit_callbacks)

    assert consent.state == Consent.State.AWAITING
    assert before == after == {"page": False, "api": [], "rows": False, "pdf": False}
    assert not ConsentAccess.objects.exists()
    assert not ConsentAcceptance.objects.exists()
    # The hub holds the records: its consultants are told a consent waits for them.
    assert hub_consultant.notifications.filter(kind="consent_pending").exists()


def test_no_link_goes_to_an_address_the_recording_operator_typed_in(
    world, company, hubs_notes, django_capture_on_commit_callbacks
):
    client = world.client_for(world.consultant)
    client.post(
        reverse("contact-create", args=[company.pk]),
        {"name": "Lars Falsk", "email": "lars@lokalt.dk"},
    )
    planted = company.contacts.get(name="Lars Falsk")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("company-consent-create", args=[company.pk]),
            {
                "given_on": TODAY.isoformat(),
                "method": "email",
                "given_by": planted.pk,
                "scope": "all",
            },
            follow=True,
        )

    assert "ingen e-mailadresse, som I ikke selv har registreret" in response.text
    assert not link_mails()
    assert Consent.objects.get().state == Consent.State.AWAITING


@pytest.fixture
def pending(world, founder, notes, hub_consultant, django_capture_on_commit_callbacks):
    """The hub's consent for the founder it never guided, and the link mailed for it."""
    with django_capture_on_commit_callbacks(execute=True):
        consent = record(hub_consultant, founder, method="email")
    return consent, link_in(link_mails()[-1])


def test_a_reused_confirmation_link_is_refused(world, founder, notes, pending):
    consent, link = pending
    assert Client().post(link, {"answer": "confirm"}).status_code == 200

    for again in (Client().get(link), Client().post(link, {"answer": "decline"})):
        assert again.status_code == 410
        assert "allerede brugt" in again.text
    consent.refresh_from_db()
    assert consent.declined_at is None and consent.state == Consent.State.IN_FORCE


def test_an_expired_confirmation_link_is_refused(world, founder, notes, pending):
    consent, link = pending
    Consent.objects.filter(pk=consent.pk).update(
        link_expires_at=consent.link_expires_at - datetime.timedelta(days=8)
    )

    response = Client().post(link, {"answer": "confirm"})

    assert response.status_code == 410 and "udløbet" in response.text
    assert hub_sees_founder(world, founder, notes) == NOTHING


def test_a_tampered_link_is_refused(world, founder, notes, pending):
    consent, link = pending
    forged = link.replace(link.split("/")[-2][:8], "AAAAAAAA")
    with pytest.raises(LinkRefused):
        consents.do_confirm_consent(forged.split("/")[-2])

    assert Client().post(forged, {"answer": "confirm"}).status_code == 404
    consent.refresh_from_db()
    assert consent.confirmed_at is None


def test_a_scanner_following_the_link_changes_nothing(world, founder, notes, pending):
    consent, link = pending

    response = Client().get(link)

    assert response.status_code == 200 and "Ja, jeg bekræfter samtykket" in response.text
    consent.refresh_from_db()
    assert consent.confirmed_at is None and consent.link_nonce


def test_the_recording_operators_staff_cannot_answer_for_the_subject(
    world, founder, notes, pending, hub_consultant
):
    consent, link = pending

    response = world.client_for(world.triage).post(link, {"answer": "confirm"})

    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.confirmed_at is None


def test_the_subject_may_decline_and_the_consent_never_opens_anything(
    world, founder, notes, pending
):
    consent, link = pending

    assert Client().post(link, {"answer": "decline"}).status_code == 200

    consent.refresh_from_db()
    assert consent.state == Consent.State.DECLINED
    assert hub_sees_founder(world, founder, notes) == NOTHING
    with pytest.raises(DomainError):
        consents.do_accept_consent(world.consultant, consent)


def test_the_holding_operator_accepts_for_its_own_records_only(world, founder, notes, pending):
    consent, _link = pending
    focused = OperatorFactory(name="Arsenalet", kind=Operator.Kind.FOCUSED)
    do_set_operator_municipalities(focused, [world.home])
    adviser = make_member(focused, Membership.Role.CONSULTANT)
    theirs = log(adviser, founder, focused, content="Arsenalets egne noter")

    response = world.client_for(world.consultant).post(reverse("consent-accept", args=[consent.pk]))

    assert response.status_code == 302
    assert consent.acceptances.get().operator == world.local
    seen = hub_sees_founder(world, founder, notes)
    assert seen["page_note"] and seen["api_details"]
    # The focused service's notes stay closed until it accepts or the founder confirms.
    assert theirs.pk not in seen["api_sessions"]
    assert notes["founder_session"].pk in seen["api_sessions"]


def test_the_recording_operator_cannot_accept_its_own_consent(
    world, founder, notes, pending, hub_consultant
):
    consent, _link = pending

    with pytest.raises(NotAllowed):
        consents.do_accept_consent(hub_consultant, consent)
    url = reverse("api-consent-accept", args=[consent.pk])
    assert world.client_for(world.triage).post(url).status_code == 403
    assert not consent.acceptances.exists()


def test_accepting_for_the_four_users(world, founder, notes, pending):
    consent, _link = pending
    url = reverse("consent-accept", args=[consent.pk])

    assert_four_users(world, url, allowed=world.consultant, method="post", ok=302)


def test_accepting_through_the_api_for_the_four_users(world, founder, notes, pending):
    consent, _link = pending
    url = reverse("api-consent-accept", args=[consent.pk])

    assert_four_users(world, url, allowed=world.consultant, method="post", api=True)
    assert world.client_for(world.consultant).get(
        reverse("api-consent-detail", args=[consent.pk])
    ).json()["accepted_by"] == [world.local.pk]


def test_the_confirmation_page_needs_no_login_but_a_valid_link(world, founder, notes, pending):
    _consent, link = pending

    assert Client().get(link).status_code == 200
    assert Client().get(reverse("consent-confirm", args=["nonsense"])).status_code == 404
    assert (
        world.client_for(world.outsider).get(reverse("consent-confirm", args=["x:y"])).status_code
        == 404
    )


# --- The log of reads on a consent -----------------------------------------------------


@pytest.fixture
def shared(world, company, founder, notes):
    """The local service guided both and recorded their consent to all operators."""
    return {
        "company": record(world.consultant, company, given_by=notes["contact"]),
        "founder": record(world.consultant, founder),
    }


def test_every_read_on_a_consent_is_logged_with_who_which_records_which_consent(
    world, company, founder, notes, shared
):
    hub = world.client_for(world.triage)
    hub.get(reverse("company-detail", args=[company.pk]))

    rows = {row.record: row for row in ConsentAccess.objects.all()}
    assert set(rows) == {"session", "contact", "project"}
    assert rows["session"].record_ids == [notes["company_session"].pk]
    assert rows["session"].holder == world.local
    assert rows["contact"].record_ids == [notes["contact"].pk] and rows["contact"].holder is None
    assert rows["project"].record_ids == [notes["project"].pk]
    for row in rows.values():
        assert (row.user, row.operator, row.consent) == (world.triage, world.hub, shared["company"])
        assert row.source == reverse("company-detail", args=[company.pk])

    hub.get(reverse("api-founder-detail", args=[founder.pk]))
    hub.get(reverse("api-session-list"))
    assert ConsentAccess.objects.filter(record="founder", consent=shared["founder"]).exists()
    listed = ConsentAccess.objects.filter(source=reverse("api-session-list"))
    assert {(row.consent, tuple(row.record_ids)) for row in listed} == {
        (shared["company"], (notes["company_session"].pk,)),
        (shared["founder"], (notes["founder_session"].pk,)),
    }


def test_reading_what_your_own_operator_holds_is_not_logged(world, company, founder, notes, shared):
    client = world.client_for(world.consultant)
    client.get(reverse("company-detail", args=[company.pk]))
    client.get(reverse("founder-detail", args=[founder.pk]))
    client.get(reverse("api-session-list"))

    assert not ConsentAccess.objects.exists()


def test_the_log_is_one_insert_whatever_the_number_of_rows(world, company, notes, shared):
    hub = world.client_for(world.triage)
    url = reverse("session-list")
    hub.get(url)

    def inserts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            hub.get(url)
        sql = [q["sql"] for q in queries]
        return len(sql), sum('INSERT INTO "crm_consentaccess"' in q for q in sql)

    few = inserts()
    for _ in range(6):
        log(world.consultant, company, world.local)
    many = inserts()

    assert few == many and few[1] == 1
    assert len(ConsentAccess.objects.filter(company=company).latest("pk").record_ids) == 7


def test_the_holders_managers_read_the_log(world, company, notes, shared):
    world.client_for(world.triage).get(reverse("company-detail", args=[company.pk]))
    url = reverse("consent-access-log", args=[world.home.code])

    response = world.client_for(world.manager).get(url)

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3
    assert company.name in response.text
    # A consultant of the same municipality has no right to it (403), an outsider 404.
    assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)
    # The hub's manager sees reads of the hub's records only: none here.
    hub_manager = make_member(world.hub, Membership.Role.MANAGER)
    assert len(world.client_for(hub_manager).get(url).context["page"].object_list) == 0


def test_the_log_page_does_not_query_per_row(world, company, notes, shared):
    hub = world.client_for(world.triage)

    def read(n):
        for _ in range(n):
            hub.get(reverse("company-detail", args=[company.pk]))

    assert_queries_do_not_grow(
        world.client_for(world.manager),
        reverse("consent-access-log", args=[world.home.code]),
        lambda n: read(n),
        lambda response: len(response.context["page"].object_list) // 3,
        n=2,
    )


# --- Withdrawal ----------------------------------------------------------------------------


def test_a_withdrawn_consent_stops_unlocking_on_the_next_request_everywhere(
    world, company, founder, notes, shared, django_capture_on_commit_callbacks
):
    hub = world.client_for(world.triage)
    assert hub_sees_founder(world, founder, notes) != NOTHING
    with django_capture_on_commit_callbacks(execute=True):
        hub.post(reverse("company-report", args=[company.pk]))
    report = Report.objects.get(created_by=world.triage)
    assert hub.get(reverse("report-file", args=[report.pk])).status_code == 200

    for consent in shared.values():
        response = world.client_for(world.consultant).post(
            reverse("consent-withdraw", args=[consent.pk])
        )
        assert response.status_code == 302

    assert hub_sees_founder(world, founder, notes) == NOTHING
    page = hub.get(reverse("company-detail", args=[company.pk]))
    assert NOTE not in page.text and "Mette Holm" not in page.text
    assert hub.get(reverse("api-contact-list"), {"company": company.pk}).json()["results"] == []
    rows = hub.get(reverse("goal-rows", args=["vejledninger"]))
    assert NOTE not in rows.text
    # The summary rendered while the consent held is no longer handed out.
    refused = hub.get(reverse("report-file", args=[report.pk]))
    assert refused.status_code == 302
    api = hub.get(reverse("api-report-file", args=[report.pk]))
    assert api.status_code == 410 and "samtykke" in api.json()["detail"]


def test_a_withdrawal_is_dated_between_the_consent_and_today(world, company, notes, shared):
    consent = shared["company"]
    for on in (TODAY + datetime.timedelta(days=1), TODAY - datetime.timedelta(days=1)):
        with pytest.raises(DomainError, match="Tilbagekaldelsen dateres"):
            consents.do_withdraw_consent(world.consultant, consent, on=on)
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_a_referral_needs_a_consent_in_force(world, founder, notes, pending):
    consent, _link = pending
    with pytest.raises(DomainError, match="samtykke"):
        send_referral(
            world.consultant,
            founder,
            sender_operator=world.local,
            target_operator=world.hub,
            reason="Vækst",
            themes=["export"],
        )
    assert not services.has_consent(founder, world.hub)
    consents.do_accept_consent(world.consultant, consent)
    assert services.has_consent(founder, world.hub)
