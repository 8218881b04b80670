"""Every page of the four journeys on a 360 px phone: no sideways scrolling and no serious or
critical axe-core violation.

One test per journey walks all of its pages (the manager's and the official's share one test,
as they share the slow contract data), so the browser and the data are made once; each page
leaves a screenshot in tests/artifacts/ (phone-<journey>-<page>.png)."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone

from contracts.models import Contract
from crm import services
from crm.models import Membership, Operator
from reporting import services as reporting
from reporting.models import Report
from tests.browser.conftest import DANISH, log_in, screenshot
from tests.conftest import PASSWORD, make_member, record_consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
AXE = Axe()

# The elements whose right edge lies past the screen, innermost first: where to look when the
# page scrolls sideways.
PAST_THE_EDGE = """() => {
  const past = el => el.getBoundingClientRect().right > window.innerWidth + 1;
  return [...document.querySelectorAll("body *")]
    .filter(el => past(el) && ![...el.children].some(past))
    .slice(0, 5).map(el => el.outerHTML.slice(0, 80));
}"""


def phone_page(chromium, **options):
    context = chromium.new_context(**DANISH, viewport=PHONE, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def phone(chromium):
    page = phone_page(chromium)
    yield page
    page.context.close()


def problems_of(page, name: str) -> list[str]:
    """What is wrong with the page now open: the document wider than the screen, and each
    serious or critical axe-core rule it breaks, with the first elements that break it."""
    found = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.evaluate("window.innerWidth"):
        found.append(f"{name}: {width} px wide; past the edge: {page.evaluate(PAST_THE_EDGE)}")
    for rule in AXE.run(page).response["violations"]:
        if rule["impact"] in ("serious", "critical"):
            targets = [" ".join(node["target"]) for node in rule["nodes"][:5]]
            found.append(f"{name}: {rule['id']} ({rule['impact']}) {targets}")
    return found


def walk(page, live_server, journey: str, pages: dict[str, str]) -> list[str]:
    """Opens each page, screenshots it and returns all that is wrong on all of them."""
    found = []
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, (name, path, response.status)
        screenshot(page, f"phone-{journey}-{name}")
        found += problems_of(page, name)
    return found


@pytest.fixture
def field_work(world, company, founder, referral):
    """A company with a meeting, a follow-up due today, a network and a referral to the hub;
    a founder with a meeting."""
    today = timezone.localdate()
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=today - datetime.timedelta(days=1),
        follow_up_on=today,
        tier="local",
        channel="phone",
        kind="brief",
    )
    network = services.do_create_network(
        world.consultant, name="Erfa Viborg", kind="erfa", municipality=world.home, started_on=today
    )
    services.do_join_network(world.consultant, network, company)
    record_consent(world.consultant, founder)
    return company, founder, referral


def test_consultant_pages_fit_a_phone_and_pass_axe(world, field_work, live_server, chromium, phone):
    company, founder, _ = field_work
    found = walk(phone, live_server, "consultant", {"login": "/login/"})
    log_in(phone, live_server, world.consultant.username, PASSWORD)

    # The menu folds behind its button: the bar is a thin strip, one tap opens the menu.
    phone.goto(f"{live_server.url}/")
    assert phone.locator("header").bounding_box()["height"] < 0.1 * PHONE["height"]
    assert not phone.locator("nav[aria-label=Hovedmenu]").is_visible()
    phone.click("#menu-toggle")
    assert phone.get_attribute("#menu-toggle", "aria-expanded") == "true"
    screenshot(phone, "phone-consultant-menu-open")
    found += problems_of(phone, "menu-open")
    phone.click("nav[aria-label=Hovedmenu] >> text=Virksomheder")
    phone.wait_for_url("**/virksomheder/")

    pages = {
        "start": "/",
        "search": "/soeg/?q=smedie",
        "companies": "/virksomheder/",
        "company": f"/virksomheder/{company.pk}/",
        "visit-form": f"/virksomheder/{company.pk}/vejledning/",
        "sessions": "/vejledninger/",
        "follow-ups": "/opfoelgning/",
        "founders": "/ivaerksaettere/",
        "founder": f"/ivaerksaettere/{founder.pk}/",
        "networks": "/netvaerk/",
        "referrals-sent": "/henvisninger/sendt/",
        "my-month": "/rapporter/min-maaned/",
    }
    found += walk(phone, live_server, "consultant", pages)
    assert not found, "\n".join(found)

    # Without JavaScript the menu is simply open, and the page still fits.
    plain = phone_page(chromium, java_script_enabled=False)
    plain.context.add_cookies(phone.context.cookies())
    plain.goto(f"{live_server.url}/")
    assert plain.locator("nav[aria-label=Hovedmenu] >> text=Virksomheder").is_visible()
    assert plain.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    plain.context.close()


def test_triage_pages_fit_a_phone_and_pass_axe(world, referral, live_server, phone):
    log_in(phone, live_server, world.triage.username, PASSWORD)
    pages = {
        "start": "/",
        "queue": "/henvisninger/visitation/",
        "referral": f"/henvisninger/{referral.pk}/",
        "my-month": "/rapporter/min-maaned/",
    }
    found = walk(phone, live_server, "triage", pages)
    assert not found, "\n".join(found)

    # The queue's buttons are on the screen, under their referral, and they work there.
    phone.goto(f"{live_server.url}/henvisninger/visitation/")
    row = phone.locator(f"#referral-{referral.pk}")
    for action in row.locator(".actions button, .actions a").all():
        box = action.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], action.inner_text()
    row.locator("text=Acceptér").click()
    phone.wait_for_selector(f"#referral-{referral.pk}[data-state=accepted]")


@pytest.fixture
def contracts(world):
    """The demo contracts (Viborg's, where ``world.manager`` is a party), a published annual
    report of the Syddanmark contract and an official of KKR Syddanmark."""
    call_command("seed_contracts")
    viborg = Contract.objects.filter(parties=world.local).order_by("-starts_on").first()
    syddanmark = Contract.objects.get(title__startswith="Resultatkontrakt 2022")
    author = make_member(syddanmark.parties.first(), Membership.Role.MANAGER)
    report = reporting.request_report(author, kind=Report.Kind.ANNUAL, contract=syddanmark)
    reporting.do_publish_report(author, Report.objects.get(pk=report.pk))
    official = make_member(Operator.objects.get(name="KKR Syddanmark"), Membership.Role.VIEWER)
    return viborg, syddanmark, report, official


def test_manager_and_official_pages_fit_a_phone_and_pass_axe(
    world, contracts, live_server, chromium, phone
):
    viborg, syddanmark, report, official = contracts
    log_in(phone, live_server, world.manager.username, PASSWORD)
    pages = {
        "start": "/",
        "activity": "/rapporter/aktivitet/",
        "contracts": "/kontrakter/",
        "contract": f"/kontrakter/{viborg.pk}/",
        "dashboard": f"/rapporter/kontrakt/{viborg.pk}/",
        "reports": "/rapporter/",
        "municipalities": "/kommuner/",
        "municipality": f"/kommuner/{world.home.code}/",
    }
    found = [f"manager {problem}" for problem in walk(phone, live_server, "manager", pages)]

    official_phone = phone_page(chromium)
    log_in(official_phone, live_server, official.username, PASSWORD)
    pages = {
        "start": "/",
        "contracts": "/kontrakter/",
        "contract": f"/kontrakter/{syddanmark.pk}/",
        "dashboard": f"/rapporter/kontrakt/{syddanmark.pk}/",
        "reports": "/rapporter/",
        "report": f"/rapporter/{report.pk}/",
        "municipalities": "/kommuner/",
    }
    found += [
        f"official {problem}" for problem in walk(official_phone, live_server, "official", pages)
    ]
    official_phone.context.close()
    assert not found, "\n".join(found)
