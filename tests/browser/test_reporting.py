import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from contracts.models import Contract, Snapshot
from crm.models import Membership, Operator
from reporting import services
from reporting.models import Report
from tests.browser.conftest import log_in, screenshot
from tests.conftest import ARTIFACTS, PASSWORD, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def syddanmark(world):
    from django.core.management import call_command

    call_command("seed_contracts")
    contract = Contract.objects.get(title__startswith="Resultatkontrakt 2022")
    official = make_member(Operator.objects.get(name="KKR Syddanmark"), Membership.Role.VIEWER)
    # The annual report an official reads: written and published by a party's manager.
    manager = make_member(contract.parties.first(), Membership.Role.MANAGER)
    report = services.request_report(manager, kind=Report.Kind.ANNUAL, contract=contract)
    services.do_publish_report(manager, Report.objects.get(pk=report.pk))
    return contract, official


def test_an_official_opens_the_kkr_dashboard_and_downloads_the_annual_report(
    syddanmark, live_server, page
):
    contract, official = syddanmark
    log_in(page, live_server, official.username, PASSWORD)
    page.click("nav >> text=Kontrakter")
    page.click(f"text={contract.title}")
    page.click("#dashboard")
    page.wait_for_selector(".tile[data-goal='1']")
    # Every goal has a tile: computed ones from their snapshots, milestones and externally
    # reported goals with their status, evidence and source.
    assert Snapshot.objects.filter(goal__contract=contract).exists()
    assert page.locator(".tile").count() == contract.goals.count()
    screenshot(page, "kkr-dashboard")

    with page.expect_download() as download:
        page.click("a.download")
    path = download.value.path()
    data = Path(path).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    for goal in contract.goals.exclude(indicator=""):
        assert f"Mål {goal.number} – {goal.title}" in " ".join(text.split()), goal
    (ARTIFACTS / "kkr-annual-report.pdf").write_bytes(data)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils is needed for the PNG artefact (.ci/run installs it)"
    subprocess.run(  # noqa: S603 - a fixed binary on our own file
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(ARTIFACTS / "kkr-annual-report.pdf"),
            str(ARTIFACTS / "kkr-annual-report-page"),
        ],
        check=True,
    )
    assert list(ARTIFACTS.glob("kkr-annual-report-page*.png"))


def test_a_manager_opens_the_activity_dashboard(world, company, live_server, page):
    from crm import services

    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=company.created_at.date(),
        tier="local",
        channel="visit",
        themes=["export"],
    )
    log_in(page, live_server, world.manager.username, PASSWORD)
    page.click("nav >> text=Aktivitet")
    page.wait_for_selector("table.bar-chart")
    assert "Vejledninger pr. konsulent" in page.inner_text("main")
    screenshot(page, "activity-dashboard")
