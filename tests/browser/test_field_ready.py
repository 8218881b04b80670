"""Issue 14 at 1366x768 and on a phone (390x844): referring a company without its consent
records the consent in the same flow and keeps the typed reason, the referral then listed and
exported from the page of sent referrals; 403, 404 and 500 answer in Danish inside the shell
with a way back."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from referrals.models import Referral
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_phone_and_a11y import problems_of
from tests.conftest import CVRS, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [(1366, 768), (390, 844)]
REASON = "Ønsker hjælp til eksport til Tyskland"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
BOM = "\ufeff".encode()


def met_today(world, cvr: str, name: str):
    """A company the consultant met today (so a consent said in the meeting is in force at
    once) and its director, who said yes to sharing."""
    company = services.do_create_company(
        world.consultant, cvr=cvr, name=name, municipality=world.home
    )
    services.do_log_session(
        world.consultant, company, operator=world.local, date=timezone.localdate(),
        tier="local", channel="visit", kind="brief",
    )  # fmt: skip
    services.do_add_contact(world.consultant, company, name="Mette Holm", role="Direktør")
    return company


def test_referring_without_consent_records_it_in_the_flow_and_keeps_the_reason(
    world, live_server, page
):
    companies = [
        met_today(world, CVRS[0], "Østergaard Smedie ApS"),
        met_today(world, CVRS[1], "Vestergaard Maskiner A/S"),
    ]
    log_in(page, live_server, world.consultant.username, PASSWORD)
    for (width, height), company in zip(VIEWPORTS, companies, strict=True):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server.url + reverse("company-detail", args=[company.pk]))
        page.click("#refer")
        page.select_option("#id_target_operator", label="Erhvervshus Midtjylland")
        page.fill("#id_reason", REASON)
        page.click("main form button[type=submit]")

        # No consent yet: the same page asks for it, what was typed kept.
        page.locator("fieldset#consent").wait_for()
        assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
        assert "har ikke givet samtykke" in page.inner_text("[data-error-summary]")
        page.click("[data-error-summary] a[href='#consent']")  # the message leads to the consent
        assert page.evaluate("document.activeElement.id") == "consent"
        assert page.input_value("#id_reason") == REASON
        assert problems_of(page, f"consent-asked-{width}") == []
        assert not Referral.objects.filter(company=company).exists()
        screenshot(page, f"refer-consent-asked-{width}")

        page.check("#consent input[name=consent-method][value=meeting]")
        page.select_option("#id_consent-given_by", label="Mette Holm")
        page.click("main form button[type=submit]")
        page.wait_for_selector("#state")
        assert page.inner_text("#state") == "Sendt"
        referral = Referral.objects.get(company=company)
        assert (referral.reason, referral.target_operator) == (REASON, world.hub)
        screenshot(page, f"refer-consent-recorded-{width}")

        # Sent referrals list it, with the export of them on the same page.
        page.goto(live_server.url + reverse("referral-sent"))
        assert page.locator("tr[data-state]", has_text=company.name).is_visible()
        exports = page.locator("#exports a")
        assert exports.all_inner_texts() == ["CSV (Excel)", "XLSX"]
        assert all(exports.nth(i).is_visible() for i in range(2))
        with page.expect_download() as download:
            exports.first.click()
        csv = download.value.path().read_bytes()
        assert csv.startswith(BOM) and company.name.encode() in csv
        assert page.evaluate(NO_SIDEWAYS), width
        screenshot(page, f"refer-sent-exports-{width}")


@pytest.mark.urls("tests.crm.error_urls")  # the project's routes and one page that fails
def test_error_pages_are_danish_inside_the_shell_with_a_way_back(world, live_server, page):
    log_in(page, live_server, world.viewer.username, PASSWORD)
    municipalities = live_server.url + reverse("municipality-list")
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})

        # The case: a viewer opens a municipality under "Kommuner".
        page.goto(municipalities)
        with page.expect_response(lambda response: response.status == 403):
            page.click(f"a[href='{reverse('municipality-detail', args=[world.home.code])}']")
        error_page_reads(page, "403", "Du har ikke adgang til denne side", width)
        page.click("text=Tilbage til forrige side")
        page.wait_for_url(municipalities)

        # A record that does not exist (or is in another municipality).
        response = page.goto(live_server.url + reverse("company-detail", args=[999_999]))
        assert response.status == 404
        error_page_reads(page, "404", "Siden findes ikke", width)
        page.click("text=Til forsiden")
        page.wait_for_selector("[data-landing]")

        response = page.goto(f"{live_server.url}/fejl/")
        assert response.status == 500
        error_page_reads(page, "500", "Der opstod en fejl", width)
        page.click("text=Til forsiden")
        page.wait_for_selector("[data-landing]")


def error_page_reads(page, status: str, heading: str, width: int) -> None:
    """In Danish, inside the shell (its header, and the menu where the user is known), on
    screen without sideways scrolling."""
    assert page.get_attribute("html", "lang") == "da"
    assert page.inner_text(f"[data-error='{status}'] h1") == heading
    assert page.locator("header .brand").is_visible()
    if status != "500":  # rendered without the user: no menu to offer
        assert page.locator("nav[aria-label=Hovedmenu]").count() == 1
    assert page.locator(f"[data-error='{status}'] a", has_text="Til forsiden").is_visible()
    assert problems_of(page, f"{status}-{width}") == []
    screenshot(page, f"error-page-{status}-{width}")
