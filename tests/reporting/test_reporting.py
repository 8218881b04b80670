import datetime
import io

import pytest
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from contracts.models import Snapshot
from crm import services
from reporting.charts import bar_chart, pace_chart, sparkline
from reporting.models import ExportLog, Report
from tests.conftest import ARTIFACTS, assert_four_users

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


def test_charts_are_svg_with_a_text_alternative():
    line = sparkline([1, 3, 2], title="Mål 1")
    bars = bar_chart([("Viborg", 12), ("Skive", 3.5)], title="Vejledninger")
    pace = pace_chart(
        [(D(2026, 2, 1), 10)], target=40, start=D(2026, 1, 1), end=D(2026, 12, 31), title="Tempo"
    )

    assert "<title>Mål 1</title><desc>1, 3, 2</desc>" in line and "<polyline" in line
    assert '<th scope="row">Skive</th>' in bars and '<td class="num">3,5</td>' in bars
    assert "<caption>Vejledninger</caption>" in bars  # bars are a table: read as one
    assert "01.02.2026: 10. Mål 40" in pace
    assert "<desc>7</desc>" in sparkline([7], title="Kun én måling")  # nothing to draw yet


def test_dashboard_for_the_four_users(world, contract):
    url = reverse("contract-dashboard", args=[contract.pk])
    assert world.client_for(world.viewer).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url)["Location"].startswith("/login/")


def test_the_official_dashboard_shows_aggregates_only(world, contract, company):
    response = world.client_for(world.viewer).get(reverse("contract-dashboard", args=[contract.pk]))

    assert 'data-goal="1"' in response.text and "<svg" in response.text
    for secret in (company.name, company.cvr, "Fortroligt"):
        assert secret not in response.text


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of whitespace as one space."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def goal_line(snapshot) -> str:
    """A goal's line in a report as the snapshot gives it: target, value, attainment, status
    (Danish number formats)."""
    with translation.override("da"):
        number = [floatformat(snapshot.target, "-1g"), floatformat(snapshot.value, "-1g")]
        attainment = floatformat(snapshot.attainment, "1")
        return f"{' '.join(number)} {attainment} % {snapshot.get_status_display()}"


def test_annual_report_pdf_holds_every_goal_target_value_and_comment(
    world, contract, django_capture_on_commit_callbacks
):
    manager = world.client_for(world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("contract-report", args=[contract.pk, "annual"]))
    report = Report.objects.get()
    assert response["Location"] == reverse("report-detail", args=[report.pk])
    assert report.state == "done" and report.is_draft
    goal, milestone = contract.goals.order_by("pk")
    comments = {f"goal_{goal.pk}": "Godt i gang i Viborg.", f"goal_{milestone.pk}": "Aftalt."}
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("report-comments", args=[report.pk]), comments)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("report-publish", args=[report.pk]))

    client = world.client_for(world.viewer)
    assert client.get(reverse("report-detail", args=[report.pk])).status_code == 200
    data = b"".join(client.get(reverse("report-file", args=[report.pk])).streaming_content)
    text = pdf_text(data)

    snapshot = Snapshot.objects.get(goal=goal, municipality=None, as_of=TODAY)
    assert goal_line(snapshot) in text, text
    assert "Resultatkontrakt Viborg" in text and "Kontakt til 40 virksomheder" in text
    assert "Mål 1 – Kontaktede virksomheder" in text and "Klyngeaftaler" in text
    assert "Kommentar: Godt i gang i Viborg." in text and "Kommentar: Aftalt." in text
    # The goals, then the definitions appendix on a page of its own.
    assert "Side 1 af 2" in text and "KLADDE" not in text
    (ARTIFACTS / "annual-report.pdf").write_bytes(data)
    # The report belongs to the contract: another municipality's user cannot fetch it.
    assert (
        world.client_for(world.outsider).get(reverse("report-file", args=[report.pk])).status_code
        == 404
    )


def test_the_pdf_page_numbers_follow_the_requesters_language(
    world, contract, django_capture_on_commit_callbacks
):
    client = world.client_for(world.manager)
    client.post(reverse("set_language"), {"language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("contract-report", args=[contract.pk, "half_year"]))
    report = Report.objects.get()

    # Rendered in Celery, in the language of whoever asked, page numbers included.
    text = pdf_text(report.file.open("rb").read())
    assert report.language == "en"
    assert "Half-yearly follow-up" in text and "Generated by" in text
    assert "Page 1 of 1" in text


def test_the_settlement_pdf_is_for_managers(world, contract):
    url = reverse("contract-report", args=[contract.pk, "settlement"])
    assert_four_users(
        world, url, method="post", allowed=world.manager, no_right=world.viewer, ok=302
    )


def test_company_summary_pdf(world, company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world.client_for(world.consultant).post(reverse("company-report", args=[company.pk]))
    report = Report.objects.get(kind="company")
    text = PdfReader(report.file.open("rb")).pages[0].extract_text()

    assert company.name in text and company.cvr in text
    assert_four_users(world, reverse("report-detail", args=[report.pk]), allowed=world.consultant)


def test_goal_table_exports(world, contract):
    client = world.client_for(world.viewer)
    csv_text = client.get(reverse("export-goals", args=[contract.pk, "csv"])).content.decode(
        "utf-8-sig"
    )
    xlsx = client.get(reverse("export-goals", args=[contract.pk, "xlsx"])).content

    assert csv_text.splitlines()[0].startswith("Mål;Titel")
    assert "1;Kontaktede virksomheder;40,00;1,00" in csv_text  # Danish Excel: decimal comma
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert [cell.value for cell in sheet[1]][:2] == ["Mål", "Titel"]
    assert (
        world.client_for(world.outsider)
        .get(reverse("export-goals", args=[contract.pk, "csv"]))
        .status_code
        == 404
    )


def test_participant_list_masks_cpr_and_is_logged(world, company, founder):
    for subject in (company, founder):
        services.do_enrol_programme(
            world.consultant, subject, programme="Vækstspor", growth_level="B", started_on=TODAY
        )
    response = world.client_for(world.consultant).get(
        reverse("export-participants", args=["csv"]), {"programme": "Vækstspor"}
    )
    text = response.content.decode("utf-8-sig")

    assert company.cvr in text and "010190-xxxx" in text and "2345" not in text
    assert ExportLog.objects.get().rows == 2
    assert (
        world.client_for(world.viewer)
        .get(reverse("export-participants", args=["csv"]), {"programme": "Vækstspor"})
        .status_code
        == 403
    )


def test_activity_and_my_month(world, contract):
    assert world.client_for(world.manager).get(reverse("activity-dashboard")).status_code == 200
    assert world.client_for(world.consultant).get(reverse("activity-dashboard")).status_code == 403
    month = world.client_for(world.consultant).get(reverse("my-month"))
    assert month.status_code == 200 and len(month.context["sessions"]) == 1
    assert world.client_for(world.viewer).get(reverse("my-month")).status_code == 403


def test_report_list_and_referral_export_for_the_four_users(world, contract, referral):
    reports = reverse("report-list")
    export = reverse("export-referrals", args=["csv"])
    assert world.client_for(world.viewer).get(reports).status_code == 200
    assert list(world.client_for(world.outsider).get(reports).context["reports"]) == []
    assert Client().get(reports)["Location"].startswith("/login/")

    assert world.client_for(world.consultant).get(export).status_code == 200
    assert world.client_for(world.viewer).get(export).status_code == 403
    outsider_rows = world.client_for(world.outsider).get(export).content.decode("utf-8-sig")
    assert len(outsider_rows.strip().splitlines()) == 1  # the header only
    assert Client().get(export)["Location"].startswith("/login/")
    assert (
        world.client_for(world.consultant)
        .get(reverse("export-referrals", args=["pdf"]))
        .status_code
        == 404
    )
