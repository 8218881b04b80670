"""The dashboards read at 1366x768 and on a phone (390x844): the table by municipality
scrolls inside its card with its first column in view, the charts' text is at least 12 px as
drawn, and the activity page's themes over time is one row per theme. Every export is linked,
on screen, from the page it belongs to."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Goal, Snapshot
from contracts.services import compute_attainment
from crm import services
from crm.models import Municipality
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate()
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
THEMES = ["export", "green", "digital", "financing"]
EXPORTS = ("export-referrals", "export-participants")  # the activity page's

# What sticks out of its card, and the smallest text drawn in a chart (its font size times
# the scale the SVG is drawn at; HTML text by its computed size).
OVERFLOW = """sel => [...document.querySelectorAll(sel)]
  .filter(card => card.scrollWidth > card.clientWidth + 1).map(card => card.id || card.className)"""
SMALLEST_TEXT = """() => Math.min(
  ...[...document.querySelectorAll('svg.chart text')].map(
    t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a),
  ...[...document.querySelectorAll('table.bar-chart th, table.bar-chart td')].map(
    t => parseFloat(getComputedStyle(t).fontSize)))"""
EXPORTS_ON_SCREEN = """hrefs => hrefs.map(href => {
  const link = document.querySelector(
    `a[href="${href}"], button[formaction="${href}"], form[action="${href}"] button`);
  const box = link && link.getBoundingClientRect();
  return [href, Boolean(box && box.width && box.left >= 0 && box.right <= window.innerWidth)];
}).filter(([, shown]) => !shown).map(([href]) => href)"""
STICKY = """() => {
  const frame = document.querySelector('#by-municipality .table-frame');
  frame.scrollLeft = frame.scrollWidth;
  const first = frame.querySelector('tbody th').getBoundingClientRect().left;
  return [frame.scrollLeft, Math.abs(first - frame.getBoundingClientRect().left)];
}"""


@pytest.fixture
def wide_contract(world, company):
    """A contract over twenty municipalities (more columns than 1366 px hold): a count goal
    measured on two dates (the pace chart) and a share with its n."""
    municipalities = list(Municipality.objects.order_by("code")[:19]) + [world.home]
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt for tyve kommuner",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set(municipalities)
    contract.parties.set([world.local])
    Goal.objects.create(
        contract=contract,
        number="1",
        title="Kontaktede virksomheder",
        indicator="companies_contacted",
        target=40,
    )
    Goal.objects.create(
        contract=contract,
        number="2",
        title="Kvinder blandt de vejledte iværksættere",
        indicator="founders_share",
        params={"group": "women"},
        target=30,
        target_kind="share",
    )
    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    compute_attainment(contract, TODAY - datetime.timedelta(days=20))
    compute_attainment(contract, TODAY)
    Snapshot.objects.filter(goal__number="2", as_of=TODAY).update(
        value=25, numerator=3, denominator=12
    )
    return contract


@pytest.fixture
def themed_sessions(world, company):
    """Sessions in five months, each on four themes: 20 month-theme pairs, four themes."""
    month = TODAY.replace(day=1)
    for _ in range(5):
        services.do_log_session(
            world.consultant,
            company,
            operator=world.local,
            date=month,
            tier="local",
            channel="visit",
            themes=THEMES,
        )
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    services.do_enrol_programme(
        world.consultant, company, programme="Vækstspor", growth_level="B", started_on=TODAY
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_dashboards_fit_their_cards_with_legible_charts(
    world, wide_contract, themed_sessions, live_server, page, viewport
):
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, live_server, world.manager.username, PASSWORD)

    page.goto(f"{live_server.url}/rapporter/kontrakt/{wide_contract.pk}/")
    page.wait_for_selector("#by-municipality .table-frame")
    assert page.evaluate(OVERFLOW, "#by-municipality, .card.pace") == []
    scrolled, offset = page.evaluate(STICKY)
    assert scrolled > 0 and offset < 2  # scrolled inside the table, the goal column stays
    goal_two = page.locator("#by-municipality tbody tr").nth(1)
    assert "Andel (%)" in goal_two.inner_text() and "n = 12" in goal_two.inner_text()
    assert page.locator(".card.pace svg.chart text").count() >= 5  # ticks and dates
    assert page.evaluate(SMALLEST_TEXT) >= 12
    page.evaluate("document.querySelector('#by-municipality .table-frame').scrollLeft = 0")
    exports = [
        reverse(name, args=[wide_contract.pk, fmt])
        for name in ("export-goals", "export-snapshots")
        for fmt in ("csv", "xlsx")
    ]
    assert page.evaluate(EXPORTS_ON_SCREEN, exports) == []
    assert page.locator("#exports a").count() == len(exports)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with page.expect_download() as download:
        page.click(f"a[href='{exports[0]}']")
    assert download.value.path().read_bytes().startswith("\ufeff".encode())
    screenshot(page, f"contract-dashboard-{width}")

    page.goto(f"{live_server.url}/rapporter/aktivitet/")
    page.wait_for_selector("#themes table")
    assert page.locator("#themes tbody tr").count() == len(THEMES)
    assert page.locator("#themes thead th").count() == 1 + 5 + 1  # theme, months, total
    assert page.evaluate(OVERFLOW, ".dashboard-grid > .card") == []
    assert page.evaluate(SMALLEST_TEXT) >= 12
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    exports = [reverse(name, args=[fmt]) for name in EXPORTS for fmt in ("csv", "xlsx")]
    assert page.evaluate(EXPORTS_ON_SCREEN, exports) == []
    assert page.locator("#exports #programme option").all_inner_texts() == ["Vækstspor"]
    screenshot(page, f"activity-dashboard-{width}")

    # The companies for the user evaluation, from the contract's own page.
    page.goto(f"{live_server.url}{reverse('contract-detail', args=[wide_contract.pk])}")
    evaluation = reverse("evaluation-export", args=[wide_contract.pk])
    assert page.evaluate(EXPORTS_ON_SCREEN, [evaluation]) == []
