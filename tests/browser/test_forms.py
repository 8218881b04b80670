"""Issue 14, forms that catch mistakes and show them: a failed session save gets an error
summary that takes the focus and keeps what was typed; colleagues are picked by full name
through a filter box; the founder form keeps a typed CPR number (encrypted) after an error."""

import datetime
import re

import pytest
from django.urls import reverse

from crm.models import Founder, GuidanceSession
from crm.services import find_founder_by_cpr
from tests.browser.conftest import log_in, screenshot
from tests.conftest import CPR, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def name(user, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save()


def focused_is_summary(page) -> bool:
    return page.evaluate("document.activeElement.hasAttribute('data-error-summary')")


def test_failed_saves_show_a_focused_summary_and_keep_the_input(world, company, live_server, page):
    name(world.consultant, "Jens", "Holm")
    name(world.manager, "Karen", "Blixen")
    log_in(page, live_server, world.consultant.username, PASSWORD)
    page.goto(live_server.url + reverse("company-detail", args=[company.pk]))

    # The picker: full names, filtered by what is typed.
    page.fill(".picker-filter", "blix")
    shown = page.locator("#id_consultants label:visible").all_inner_texts()
    assert [label.strip() for label in shown] == ["Karen Blixen"]
    page.check("#id_consultants label:has-text('Karen Blixen') input")
    screenshot(page, "forms-picker-filtered")

    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    page.fill("#id_date", tomorrow.isoformat())
    page.fill("#id_content", "Drøftede eksport")
    page.click("#save-session")
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert focused_is_summary(page)
    assert "Datoen må ikke ligge efter i dag." in summary.inner_text()
    assert page.input_value("#id_content") == "Drøftede eksport"
    assert page.input_value("#id_date") == tomorrow.isoformat()
    assert page.is_checked("#id_consultants label:has-text('Karen Blixen') input")
    screenshot(page, "forms-session-summary")
    summary.locator("a[href='#id_date']").click()
    assert page.evaluate("document.activeElement.id") == "id_date"
    assert not GuidanceSession.objects.exists()

    # The founder form: a typed CPR number outlives an error elsewhere, never in plaintext.
    page.goto(live_server.url + reverse("founder-create"))
    page.fill("#id_cpr_number", CPR)
    page.fill("#id_name", "Ane Åberg")
    page.select_option("#id_municipality", str(world.home.pk))
    page.fill("#id_email", "ikke en adresse")
    page.click("main form button[type=submit]")
    page.locator("[data-error-summary]").wait_for()
    assert focused_is_summary(page)
    assert page.input_value("#id_cpr_number") == ""
    assert CPR not in page.content().replace("-", "")
    screenshot(page, "forms-founder-cpr-kept")
    page.fill("#id_email", "ane@example.dk")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/ivaerksaettere/\d+/$"))
    assert find_founder_by_cpr(CPR) == Founder.objects.get()
