import pytest

from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_logs_in_and_sees_the_danish_landing_page(world, live_server, page):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    log_in(page, live_server, world.consultant.username, PASSWORD)

    page.wait_for_selector("[data-landing=consultant]")
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.locator("h2").first.inner_text() == "Mine opfølgninger"
    assert page.evaluate("typeof window.htmx") == "object"
    screenshot(page, "consultant-landing")
    assert errors == []  # no CSP violation, no missing file
