"""Reports and exports hold no more than their requester may see: the company summary (a
data-subject access answer) follows the consent rule, only its requester downloads it,
referral exports are logged, and the PDF renderer fetches nothing from the network."""

import http.server
import io
import logging
import threading

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from weasyprint import HTML

from crm import services
from crm.models import Consent
from reporting import pdf
from reporting.models import ExportLog, Report
from tests.conftest import assert_four_users, record_consent

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def history(world, company):
    """The local service's notes on the company: a session, a contact person, a project."""
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        content="Fortroligt: likviditetsproblemer",
    )
    services.do_add_contact(world.consultant, company, name="Bo Smed", phone="+45 20 30 40 50")
    services.do_add_project(
        world.consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
    )


def summary_text(world, user, company, capture) -> tuple[Report, str]:
    with capture(execute=True):
        response = world.client_for(user).post(reverse("company-report", args=[company.pk]))
    assert response.status_code == 302
    report = Report.objects.filter(kind="company", created_by=user).latest("pk")
    text = " ".join(page.extract_text() for page in PdfReader(report.file.open("rb")).pages)
    return report, " ".join(text.split())


NOTES = ["likviditetsproblemer", "Bo Smed", "Nyt værksted"]


def test_the_hubs_company_summary_without_consent_holds_the_registry_facts_only(
    world, company, history, django_capture_on_commit_callbacks
):
    _report, text = summary_text(world, world.triage, company, django_capture_on_commit_callbacks)

    assert company.name in text and company.cvr in text
    assert not any(note in text for note in NOTES), text


def test_the_hubs_company_summary_with_consent_holds_the_history(
    world, company, history, django_capture_on_commit_callbacks
):
    record_consent(
        world.consultant, company, given_on=TODAY, scope=Consent.Scope.NAMED, operators=[world.hub]
    )

    _report, text = summary_text(world, world.triage, company, django_capture_on_commit_callbacks)

    assert all(note in text for note in NOTES), text


def test_only_the_requester_reads_a_company_summary(
    world, company, history, django_capture_on_commit_callbacks
):
    report, text = summary_text(
        world, world.consultant, company, django_capture_on_commit_callbacks
    )
    assert all(note in text for note in NOTES)

    for name in ("report-file", "report-detail"):
        url = reverse(name, args=[report.pk])
        assert_four_users(world, url, allowed=world.consultant)
        # The hub may see the company, but this summary holds the local service's notes.
        assert world.client_for(world.triage).get(url).status_code == 404
    for name in ("api-report-file", "api-report-detail"):
        url = reverse(name, args=[report.pk])
        assert world.client_for(world.consultant).get(url).status_code == 200
        assert world.client_for(world.triage).get(url).status_code == 404
        assert world.client_for(world.outsider).get(url).status_code == 404
        assert Client().get(url).status_code == 401
    listed = world.client_for(world.triage).get(reverse("report-list")).context["reports"]
    assert report not in listed


def test_the_referral_export_is_logged(world, referral):
    client = world.client_for(world.consultant)

    response = client.get(reverse("export-referrals", args=["csv"]))
    assert client.get(reverse("export-referrals", args=["pdf"])).status_code == 404

    assert "Østergaard Smedie ApS" in response.content.decode("utf-8-sig")
    log = ExportLog.objects.get()  # the refused format wrote nothing
    assert (log.user, log.kind, log.rows) == (world.consultant, "referrals", 1)


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        CountingHandler.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    """A real HTTP server on the machine, counting the requests it gets."""
    CountingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_pdf_renderer_fetches_nothing_from_the_network(web_server, settings, tmp_path, caplog):
    (tmp_path / "remote.html").write_text(
        f'<html><body><p>Rapport</p><img src="{web_server}/logo.png">'
        f'<link rel="stylesheet" href="{web_server}/style.css"></body></html>'
    )
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template, "DIRS": [tmp_path, *template["DIRS"]]}]

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = pdf.render_pdf("remote.html", {})

    assert data.startswith(b"%PDF") and "Rapport" in pdf_text(data)
    assert CountingHandler.requests == []
    assert "disallowed protocol" in caplog.text and web_server in caplog.text
    # The same page with WeasyPrint's own fetcher does reach the server: the test can tell.
    HTML(string=(tmp_path / "remote.html").read_text()).write_pdf()
    assert "/logo.png" in CountingHandler.requests


def pdf_text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()
