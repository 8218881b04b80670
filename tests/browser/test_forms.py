"""Issue 14, forms that catch mistakes and show them, at 1366x768 and on a phone (390x844): a
failed session save gets an error summary that takes the focus, links to the fields and keeps
what was typed; each session rule answers its Danish message; colleagues are picked by full
name through a filter box; the founder form keeps a typed CPR number (encrypted) after an
error."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Founder, GuidanceSession
from crm.services import find_founder_by_cpr
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_phone_and_a11y import problems_of
from tests.conftest import CPR, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [(1366, 768), (390, 844)]
CPRS = [CPR, "0202902345"]  # one founder per viewport
TODAY = timezone.localdate()

# Every session rule broken in one save: each field's Danish message in the summary.
RULES = {
    "id_date": "Datoen må ikke ligge efter i dag.",
    "id_follow_up_on": "Opfølgningen skal ligge efter vejledningens dato.",
    "id_screening_result": (
        "Et screeningsresultat kræver, at Væksthjulet-screeningen er gennemført."
    ),
    "id_content": "En vejledning skal have et hovedindhold.",
    "id_hours_during": "En vejledning skal have timer registreret.",
}
ABSURD_HOURS = "Højst 24 timer pr. del."

# The summary has the focus and stands on screen (not scrolled away above or below).
SUMMARY_IN_FOCUS = """() => {
  const summary = document.activeElement;
  const box = summary.getBoundingClientRect();
  return summary.hasAttribute('data-error-summary') && box.top >= 0
    && box.top < window.innerHeight && box.right <= window.innerWidth;
}"""


def name(user, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save()


def summary_after_save(page, button: str) -> str:
    """Saves, then the text of the error summary, which must hold the focus."""
    page.click(button)
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert page.evaluate(SUMMARY_IN_FOCUS)
    assert problems_of(page, page.url) == []  # no sideways scroll, nothing axe-core finds serious
    return summary.inner_text()


def test_failed_saves_show_a_focused_summary_and_keep_the_input(world, company, live_server, page):
    name(world.consultant, "Jens", "Holm")
    name(world.manager, "Karen", "Blixen")
    log_in(page, live_server, world.consultant.username, PASSWORD)
    for (width, height), cpr in zip(VIEWPORTS, CPRS, strict=True):
        page.set_viewport_size({"width": width, "height": height})
        session_rules_answer_in_danish(page, live_server, company, width)
        founder_form_keeps_the_cpr_number(page, live_server, world, cpr, width)


def session_rules_answer_in_danish(page, live_server, company, width: int) -> None:
    logged = GuidanceSession.objects.count()
    page.goto(live_server.url + reverse("company-detail", args=[company.pk]))

    # The picker: full names, filtered by what is typed.
    page.fill(".picker-filter", "blix")
    shown = page.locator("#id_consultants label:visible").all_inner_texts()
    assert [label.strip() for label in shown] == ["Karen Blixen"]
    page.check("#id_consultants label:has-text('Karen Blixen') input")
    screenshot(page, f"forms-picker-filtered-{width}")

    tomorrow = TODAY + datetime.timedelta(days=1)
    page.fill("#id_date", tomorrow.isoformat())
    page.fill("#id_follow_up_on", TODAY.isoformat())
    page.select_option("#id_kind", "full")
    page.select_option("#id_screening_result", index=1)
    for part in ("before", "during", "after"):
        page.fill(f"#id_hours_{part}", "0")
    summary = summary_after_save(page, "#save-session")
    for field, message in RULES.items():
        assert message in summary, (width, message)
        assert page.locator(f"[data-error-summary] a[href='#{field}']").count() == 1, field
    assert page.input_value("#id_date") == tomorrow.isoformat()
    assert page.input_value("#id_follow_up_on") == TODAY.isoformat()
    assert page.is_checked("#id_consultants label:has-text('Karen Blixen') input")
    screenshot(page, f"forms-session-rules-{width}")
    page.click("[data-error-summary] a[href='#id_date']")
    assert page.evaluate("document.activeElement.id") == "id_date"

    # The mistakes mended but one: 30 hours in a part.
    page.fill("#id_date", TODAY.isoformat())
    page.fill("#id_follow_up_on", (TODAY + datetime.timedelta(days=14)).isoformat())
    page.check("#id_screening_done")
    page.fill("#id_content", "Drøftede eksport")
    page.fill("#id_hours_during", "30")
    summary = summary_after_save(page, "#save-session")
    assert ABSURD_HOURS in summary and not any(message in summary for message in RULES.values())
    assert page.input_value("#id_content") == "Drøftede eksport"
    assert page.is_checked("#id_screening_done")
    screenshot(page, f"forms-session-hours-{width}")
    assert GuidanceSession.objects.count() == logged

    page.fill("#id_hours_during", "3")
    page.click("#save-session")
    page.locator(".messages").wait_for()
    session = GuidanceSession.objects.latest("pk")
    assert GuidanceSession.objects.count() == logged + 1
    assert (session.content, session.hours_during) == ("Drøftede eksport", 3)


def founder_form_keeps_the_cpr_number(page, live_server, world, cpr: str, width: int) -> None:
    """A typed CPR number outlives an error elsewhere, never in plaintext."""
    page.goto(live_server.url + reverse("founder-create"))
    page.fill("#id_cpr_number", cpr)
    page.fill("#id_name", "Ane Åberg")
    page.select_option("#id_municipality", str(world.home.pk))
    page.fill("#id_email", "ikke en adresse")
    summary_after_save(page, "main form button[type=submit]")
    assert page.input_value("#id_cpr_number") == ""
    assert cpr not in page.content().replace("-", "")
    screenshot(page, f"forms-founder-cpr-kept-{width}")
    page.fill("#id_email", "ane@example.dk")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/ivaerksaettere/\d+/$"))
    assert find_founder_by_cpr(cpr) == Founder.objects.latest("pk")
