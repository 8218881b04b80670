import time

import pytest

from crm.models import GuidanceSession
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_finds_a_company_and_logs_a_visit_with_the_defaults(
    world, company, live_server, page
):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server, world.consultant.username, PASSWORD)
    page.wait_for_selector("[data-landing=consultant]")

    started = time.monotonic()
    page.click("nav >> text=Søg")
    page.fill("#q", "oestergard")  # typed without ø and with a typo
    page.click("#results >> text=Østergaard Smedie ApS")
    page.check("input[name=themes][value=export]")
    page.fill("textarea[name=content]", "Eksportrådgivning, henvist til Erhvervshuset")
    page.click("#save-session")
    page.wait_for_selector("#timeline li[data-kind=session]")
    elapsed = time.monotonic() - started

    entry = page.locator("#timeline li[data-kind=session]").first.inner_text()
    assert "Eksport" in entry and "Viborgegnens Erhvervsråd" in entry
    session = GuidanceSession.objects.get()
    assert (session.hours_before, session.hours_during, session.hours_after) == (2, 4, 2)
    assert session.company_id == company.pk
    screenshot(page, "visit-logged")
    print(f"\nLogging a visit took {elapsed:.2f} s in the browser (search to timeline)")
    assert errors == []
