"""Each role's start page shows what the role needs, from real data, at 1366x768 and on a
phone (390x844): there the key figure is on screen and nothing scrolls sideways."""

import datetime

import pytest
from django.utils import timezone

from referrals.calendar import add_working_days
from tests.browser.conftest import DANISH, log_in, screenshot
from tests.conftest import PASSWORD
from tests.crm.test_query_counts import Rows
from tests.crm.test_start_pages import contract_with_snapshots, follow_up, referral_due

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
VIEWPORTS = [(1366, 768), (390, 844)]


def test_each_role_lands_on_what_it_needs(world, live_server, chromium):
    rows = Rows(world)
    referral_due(rows, 0, TODAY - datetime.timedelta(days=3))
    referral_due(rows, 1, TODAY)
    referral_due(rows, 2, add_working_days(TODAY, 1))
    follow_up(rows, 3, TODAY - datetime.timedelta(days=1))
    contract_with_snapshots(world)
    expected = {
        # role: (a selector that must show, a text the page must hold)
        "consultant": ('[data-count="waiting"]', "4 henvisninger venter, heraf 1 over fristen."),
        "triage": ('[data-count="overdue"]', "Over fristen"),
        "manager": ("[data-contract] .badge.status-on_track", "Holdets måned"),
        "viewer": ("[data-contract] .badge.status-on_track", "Vejledte virksomheder 1\tPå vej"),
    }
    for role, (selector, text) in expected.items():
        context = chromium.new_context(**DANISH)
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, getattr(world, role).username, PASSWORD)
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/")
            page.wait_for_selector(f"[data-landing={role}]")
            assert page.locator(selector).first.is_visible(), (role, width)
            body = page.inner_text("main")
            assert text in body, (role, width)
            assert "Der er ingen henvisninger i køen" not in body
            assert "når de er registreret" not in body
            no_sideways = "document.documentElement.scrollWidth <= window.innerWidth"
            assert page.evaluate(no_sideways), (role, width)
            screenshot(page, f"start-page-{role}-{width}")
        context.close()
