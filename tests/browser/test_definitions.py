"""An official of each seed contract's oversight body reads how its goals are measured and
orders and downloads its half-year follow-up, in Debian's Chromium."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from contracts.demo.agreements import (
    RURAL_PROGRAMME,
    programme_2010,
    syddanmark_2022,
    viborg_2014,
)
from contracts.services import compute_attainment
from crm.models import Membership, Municipality
from tests.browser.conftest import log_in, screenshot
from tests.conftest import ARTIFACTS, PASSWORD, make_member
from tests.reporting.test_dashboard import (
    Records,
    seed_000_records,
    seed_001_records,
    seed_002_records,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seed_contracts(world):
    """The three seed contracts with a few records each (other operators' mixed in),
    computed as of their last day; for each, a viewer of its oversight body."""
    records = Records(world)
    midt = Municipality.objects.filter(name__in=RURAL_PROGRAMME)
    built = []
    for contract, fill in [
        (programme_2010(midt), seed_000_records),
        (viborg_2014(world.home), seed_001_records),
        (syddanmark_2022(), seed_002_records),
    ]:
        fill(records, world, contract)
        compute_attainment(contract, contract.ends_on)
        built.append((contract, make_member(contract.oversight, Membership.Role.VIEWER)))
    return built


def test_an_official_reads_the_definitions_and_the_half_year_report_of_each_seed_contract(
    seed_contracts, live_server, page
):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for number, (contract, official) in enumerate(seed_contracts):
        page.context.clear_cookies()
        log_in(page, live_server, official.username, PASSWORD)
        page.goto(f"{live_server.url}/kontrakter/{contract.pk}/")
        page.click("#definitions")
        page.wait_for_selector(".goal-definition")
        text = page.inner_text("main")
        assert page.locator(".goal-definition").count() == contract.goals.count()
        for goal in contract.goals.exclude(text=""):
            assert goal.text.split("\n")[0][:60] in text, goal
        assert "Hvis registreringer" in text and "Hvad tæller ikke" in text
        screenshot(page, f"definitions-{number}")

        page.goto(f"{live_server.url}/rapporter/kontrakt/{contract.pk}/")
        page.click("#half-year button[type=submit]")
        page.wait_for_selector("#report-state[data-state=done], #report-state[data-state=failed]")
        state = page.get_attribute("#report-state", "data-state")
        assert state == "done", (contract.title, page.inner_text("#report-state"))
        with page.expect_download() as download:
            page.click("#download")
        data = Path(download.value.path()).read_bytes()
        (ARTIFACTS / f"half-year-{number}.pdf").write_bytes(data)
        # Table cells wrap titles anywhere: compare without white space.
        pdf = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
        assert "Målenesstatuspr." in pdf
        for goal in contract.goals.exclude(indicator=""):
            assert "".join(goal.title.split()) in pdf, (contract.title, goal)
    assert errors == []
