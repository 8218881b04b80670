"""Access requests (issue 15): for a founder and for a contact person, a PDF of everything the
operator holds about them, asked for by a manager, logged, readable by the requester only;
every record of the person is in it and nothing of anyone else."""

import datetime
import io
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from crm import events, services
from crm.models import CprReveal, Membership
from referrals.services import send_referral
from reporting import access_requests
from reporting.models import ExportLog, Report
from tests.conftest import CPR, assert_four_users, make_member, record_consent

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def person(world, founder):
    """Ane Åberg's records: details changed once, two sessions, a consent, a referral, a
    growth programme, an event, a CPR reveal."""
    services.do_update_founder(
        world.consultant,
        founder,
        address="Søvej 1",
        postcode="8800",
        city="Viborg",
        phone="11 22 33 44",
        email="ane@aaberg.dk",
        education="Smed",
    )
    services.do_update_founder(world.consultant, founder, phone="55 66 77 88")
    for note in ["Drøftede forretningsplan for smedje", "Fulgte op på budgettet"]:
        services.do_log_session(
            world.consultant,
            founder,
            operator=world.local,
            date=TODAY,
            tier="local",
            channel="visit",
            content=note,
        )
    record_consent(world.consultant, founder, scope="named", operators=[world.hub])
    send_referral(
        world.consultant,
        founder,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Vil eksportere smedevarer til Norge",
    )
    services.do_enrol_programme(
        world.consultant, founder, programme="Vækstspor Midt", growth_level="B", started_on=TODAY
    )
    event = events.do_create_event(
        world.consultant,
        operator=world.local,
        title="Iværksætterkursus Viborg",
        kind="course",
        date=TODAY,
        place="Viborg Bibliotek",
        hours=3,
        municipality=world.home,
    )
    events.do_register_participant(world.consultant, event, founder=founder)
    CprReveal.objects.create(user=world.manager, founder=founder)
    return founder


@pytest.fixture
def someone_else(world, company):
    """Another founder and a contact person, with notes of their own."""
    other = services.do_create_founder(
        world.consultant,
        cpr_number="0202854321",
        name="Bo Berg",
        municipality=world.home,
        phone="99 88 77 66",
    )
    services.do_log_session(
        world.consultant,
        other,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="phone",
        content="Bo Bergs fortrolige note",
    )
    CprReveal.objects.create(user=world.consultant, founder=other)
    services.do_add_contact(world.consultant, company, name="Mette Holm", email="mette@holm.dk")
    return other


def ask(world, url_name: str, pk: int, capture, user=None) -> Report:
    user = user or world.manager
    with capture(execute=True):
        response = world.client_for(user).post(reverse(url_name, args=[pk]))
    assert response.status_code == 302
    report = Report.objects.filter(created_by=user).latest("pk")
    assert response["Location"] == reverse("report-detail", args=[report.pk])
    assert report.state == Report.State.DONE, report.error
    return report


def pdf_text(world, report, user=None) -> str:
    response = world.client_for(user or world.manager).get(reverse("report-file", args=[report.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_a_founders_answer_holds_every_record_and_nothing_of_others(
    world, person, someone_else, django_capture_on_commit_callbacks
):
    report = ask(world, "founder-access-request", person.pk, django_capture_on_commit_callbacks)

    text = pdf_text(world, report)

    held = [
        "Ane Åberg",
        "010190-2345",  # the full CPR number: the manager may reveal it (and that is logged)
        "Søvej 1",
        "55 66 77 88",
        "11 22 33 44",  # the earlier phone number, from the change history
        "ane@aaberg.dk",
        "Smed",
        "Drøftede forretningsplan for smedje",
        "Fulgte op på budgettet",
        "Vil eksportere smedevarer til Norge",
        "Vækstspor Midt",
        "Iværksætterkursus Viborg",
        "Erhvervshus Midtjylland",  # the consent's and the referral's operator
    ]
    assert [value for value in held if value not in text] == []
    others = ["Bo Berg", "0202854321", "020285", "99 88 77 66", "Bo Bergs fortrolige note"]
    others += ["Mette Holm", "mette@holm.dk", "Østergaard"]
    assert [value for value in others if value in text] == []
    # Who has seen the CPR number: the earlier reveal and the one made for the answer.
    assert CprReveal.objects.filter(founder=person, user=world.manager).count() == 2
    assert text.count(f"{world.manager.get_full_name() or world.manager.username}") >= 2


def test_a_contact_persons_answer_holds_the_record_and_the_consents_it_gave(
    world, company, someone_else, django_capture_on_commit_callbacks
):
    contact = services.do_add_contact(
        world.consultant, company, name="Jens Smed", role="Direktør", phone="12 12 12 12"
    )
    services.do_update_contact(world.consultant, contact, phone="34 34 34 34")
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content="Virksomhedens egen note",
    )
    consent = record_consent(world.consultant, company, scope="all")
    consent.given_by = contact
    consent.save(update_fields=["given_by"])

    report = ask(world, "contact-access-request", contact.pk, django_capture_on_commit_callbacks)
    text = pdf_text(world, report)

    for value in ["Jens Smed", "Direktør", "34 34 34 34", "12 12 12 12", company.name]:
        assert value in text, value
    assert "Alle operatører i erhvervsfremmesystemet" in text  # the consent it gave
    for value in ["Mette Holm", "mette@holm.dk", "Virksomhedens egen note", "Bo Berg"]:
        assert value not in text, value


def test_only_a_manager_of_the_municipality_asks(world, founder, company):
    contact = services.do_add_contact(world.consultant, company, name="Jens Smed")
    for name, pk in [
        ("founder-access-request", founder.pk),
        ("contact-access-request", contact.pk),
    ]:
        url = reverse(name, args=[pk])
        assert_four_users(
            world, url, allowed=world.manager, no_right=world.consultant, method="post", ok=302
        )
        assert world.client_for(world.viewer).post(url).status_code == 403


def test_the_answer_is_logged_and_read_by_the_requester_only(
    world, person, django_capture_on_commit_callbacks
):
    report = ask(world, "founder-access-request", person.pk, django_capture_on_commit_callbacks)
    colleague = make_member(world.local, Membership.Role.MANAGER)

    for name in ("report-detail", "report-file"):
        assert world.client_for(colleague).get(reverse(name, args=[report.pk])).status_code == 404
    assert report not in world.client_for(colleague).get(reverse("report-list")).context["reports"]
    assert ExportLog.objects.filter(
        user=world.manager, kind=f"access:founder:{person.pk}", rows=1
    ).exists()
    page = world.client_for(colleague).get(
        reverse("access-log", args=[world.home.code, "eksporter"])
    )
    assert f"Indsigt for en iværksætter (nr. {person.pk})" in page.text


def test_answers_are_deleted_after_their_retention(
    world, person, settings, django_capture_on_commit_callbacks
):
    settings.ACCESS_REQUEST_DAYS = 30
    report = ask(world, "founder-access-request", person.pk, django_capture_on_commit_callbacks)
    path = report.file.path
    Report.objects.filter(pk=report.pk).update(
        created_at=report.created_at - datetime.timedelta(days=31)
    )

    assert access_requests.do_purge_access_requests() == 1

    assert not Report.objects.filter(pk=report.pk).exists()
    assert not os.path.exists(path)
    assert access_requests.do_purge_access_requests() == 0
    assert CPR not in path


def test_an_erased_persons_answer_loses_its_file(world, person, django_capture_on_commit_callbacks):
    from crm import anonymise

    report = ask(world, "founder-access-request", person.pk, django_capture_on_commit_callbacks)
    path = report.file.path

    with django_capture_on_commit_callbacks(execute=True):
        anonymise.founders([person.pk])

    report.refresh_from_db()
    assert not report.file
    assert not os.path.exists(path)
    response = world.client_for(world.manager).get(reverse("report-file", args=[report.pk]))
    assert response.status_code == 302  # back to the report's page, which says why
