import pytest

from referrals.models import Referral
from tests.browser.conftest import DANISH, log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_referral_from_consultant_to_hub_and_back(
    world, company, hub_consent, chromium, live_server
):
    consultant = chromium.new_context(**DANISH).new_page()
    triage = chromium.new_context(**DANISH).new_page()

    # The consultant refers the company from its page.
    log_in(consultant, live_server, world.consultant.username, PASSWORD)
    consultant.goto(f"{live_server.url}/virksomheder/{company.pk}/")
    consultant.click("#refer")
    consultant.select_option("select[name=target_operator]", label="Erhvervshus Midtjylland")
    consultant.fill("textarea[name=reason]", "Klar til eksport; vil gerne have specialiseret hjælp")
    consultant.check("input[name=themes][value=export]")
    consultant.click("main form button[type=submit]")
    consultant.wait_for_selector("#state")
    assert consultant.inner_text("#state") == "Sendt"
    screenshot(consultant, "referral-sent")

    # The hub's triage user finds it in the queue, accepts it and marks it contacted.
    log_in(triage, live_server, world.triage.username, PASSWORD)
    assert triage.inner_text("#unread") == "1"
    triage.click("nav >> text=Visitation")
    row = triage.locator("tr[data-state]", has_text=company.name)
    row.locator("text=Acceptér").click()
    triage.wait_for_selector("tr[data-state=accepted]")
    triage.locator("tr[data-state=accepted] >> text=Kontaktet").click()
    triage.wait_for_selector("tr[data-state=contacted]")
    screenshot(triage, "referral-queue")

    referral = Referral.objects.get()
    assert referral.state == "contacted" and referral.assignee == world.triage
    assert referral.kept_deadline

    # The consultant sees the new state among the referrals it sent.
    consultant.goto(f"{live_server.url}/henvisninger/sendt/")
    assert consultant.inner_text("tr[data-state] .state") == "Kontaktet"
    screenshot(consultant, "referral-state-for-sender")
