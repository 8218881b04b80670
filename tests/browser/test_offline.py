"""Issue 18 on a phone (390x844): visits logged without a connection wait in the outbox, are
sent once when the phone is online again, and a company changed on the server meanwhile is a
conflict shown in Danish; the app is installable and opens offline; logging out deletes the
phone's data; the phone's session rules (rules.js) say what crm.services says."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone, translation
from playwright.sync_api import expect

from crm import services
from crm.forms import SessionForm
from crm.models import Company, GuidanceSession, Membership, Operator
from crm.services import session_rule_errors
from crm.views.offline import app_config, rule_messages
from tests.browser.conftest import DANISH, log_in, screenshot
from tests.browser.test_phone_and_a11y import problems_of
from tests.conftest import CPR, CVRS, PASSWORD
from tests.crm.register_server import EXAMPLE_CVR, VirkRegister, use_virk, virk_document
from tests.factories import OperatorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
APP = "/mobil/"
RULES_JS = Path(settings.BASE_DIR) / "crm" / "static" / "crm" / "offline" / "rules.js"
# The page's CSP has no 'unsafe-eval', so wait_for_function cannot poll: a promise instead.
CONTROLLED = """() => navigator.serviceWorker.controller !== null || new Promise(resolve =>
  navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""
DATABASES = "indexedDB.databases().then(list => list.map(db => db.name))"


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(**DANISH, viewport=PHONE, service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())  # "Kassér?" is answered yes
    errors = []  # uncaught script errors (a failed request offline is not one)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def field_work(world, company):
    """Two companies the consultant has guided, one follow-up due today."""
    today = timezone.localdate()
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Vestergaard Maskiner A/S", municipality=world.home
    )
    log = dict(operator=world.local, tier="local", channel="visit", kind="brief")
    due = services.do_log_session(
        world.consultant,
        company,
        date=today - datetime.timedelta(days=7),
        follow_up_on=today,
        **log,
    )
    services.do_log_session(world.consultant, other, date=today - datetime.timedelta(days=3), **log)
    return company, other, due


def open_app(page, live_server):
    """The app, controlled by its service worker, with the bundle loaded."""
    page.goto(live_server.url + APP)
    page.wait_for_selector("body[data-ready=true]")
    page.evaluate(CONTROLLED)
    page.wait_for_selector("#follow-ups li[data-session]")


def log_visit(
    page, search: str, name: str, content: str, *, kind: str = "full", operator=None
) -> None:
    page.fill("#find", search)
    page.click(f"#found button:has-text('{name}')")
    if operator is not None:
        page.select_option("#v-operator", str(operator.pk))
    page.select_option("#v-kind", kind)
    page.check("#v-themes-list input[value=export]")
    page.fill("#v-content", content)
    page.click("#queue-visit")
    page.wait_for_selector("#visit", state="hidden")


def outbox(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#outbox li[data-item]",
        "items => items.map(li => ({id: li.dataset.item, kind: li.dataset.kind, "
        "status: li.dataset.status, text: li.innerText}))",
    )


def send_now_sends_nothing(page) -> None:
    """The "Send nu" button once the outbox is empty: no request leaves the phone."""
    writes = []

    def record(request):
        if request.method != "GET":
            writes.append(request.url)

    page.on("request", record)
    page.click("#send-now")
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 200))")
    page.remove_listener("request", record)
    assert writes == []


def test_visits_logged_offline_are_sent_once_and_a_changed_company_is_a_conflict(
    world, field_work, live_server, phone
):
    company, other, due = field_work
    before = GuidanceSession.objects.count()
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)

    phone.context.set_offline(True)
    phone.wait_for_selector("#connection[data-online=false]")
    # Meanwhile somebody changes the other company on the server.
    services.do_update_company(world.manager, other, city="Skive")

    log_visit(phone, "oestergaard", company.name, "Eksport til Tyskland")
    # The same checks as online: a full guidance without content is refused on the phone.
    phone.fill("#find", "smedie")
    phone.click(f"#found button:has-text('{company.name}')")
    phone.click("#queue-visit")
    assert "En vejledning skal have et hovedindhold." in phone.inner_text("#visit-errors")
    phone.fill("#v-content", "Generationsskifte")
    phone.click("#queue-visit")
    phone.wait_for_selector("#visit", state="hidden")
    log_visit(phone, "vestergaard", other.name, "Ny maskinpark")  # the changed company
    next_week = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    phone.click(f"button[data-follow-up='{due.pk}']")
    phone.fill(f"#follow-ups li[data-session='{due.pk}'] input[type=date]", next_week)
    phone.click(f"#follow-ups li[data-session='{due.pk}'] button[type=submit]")
    expect(phone.locator("#outbox li[data-item]")).to_have_count(4)

    # Opened again without a connection: the service worker serves the page, the outbox stays.
    phone.reload()
    phone.wait_for_selector("body[data-ready=true]")
    waiting = outbox(phone)
    assert [item["status"] for item in waiting] == ["waiting"] * 4
    assert GuidanceSession.objects.count() == before
    screenshot(phone, "offline-outbox")

    # The answer to the first visit is lost on the way back: it stays, and is sent again with
    # the same Idempotency-Key; the server answers what it stored and creates nothing more.
    lost = []

    def lose_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.request.headers["idempotency-key"])
            route.fetch()  # the server does the work ...
            route.abort()  # ... and the phone never hears of it
        else:
            route.continue_()

    phone.route("**/api/v1/sessions/", lose_first_answer)
    phone.context.set_offline(False)  # the "online" event sends the outbox by itself
    while not lost:
        phone.wait_for_timeout(100)
    phone.wait_for_selector("body[data-sync=idle]")
    assert GuidanceSession.objects.count() == before + 1  # the lost answer's visit is made
    assert lost and lost[0] in [item["id"] for item in waiting]
    assert len(outbox(phone)) == 4
    phone.click("#send-now")
    expect(phone.locator("#outbox li[data-item]")).to_have_count(1)

    assert GuidanceSession.objects.count() == before + 2
    new = GuidanceSession.objects.exclude(pk=due.pk).filter(company=company, content__gt="")
    assert sorted(new.values_list("content", flat=True)) == [
        "Eksport til Tyskland",
        "Generationsskifte",
    ]
    due.refresh_from_db()
    assert due.follow_up_on.isoformat() == next_week
    # Sending again creates nothing.
    phone.click("#send-now")
    phone.wait_for_selector("#sync-status:has-text('venter i udbakken')")
    assert GuidanceSession.objects.count() == before + 2

    # The visit of the changed company is a conflict: it stays, with the reason in Danish.
    [conflict] = outbox(phone)
    assert conflict["status"] == "conflict"
    assert other.name in conflict["text"] and "Skive" in conflict["text"]
    screenshot(phone, "offline-conflict")
    assert problems_of(phone, "offline-conflict") == []
    phone.click(f"#outbox li[data-item='{conflict['id']}'] button[data-action=discard]")
    phone.wait_for_selector("#outbox li.empty")
    assert not GuidanceSession.objects.filter(company=other, content="Ny maskinpark").exists()

    # Logging out deletes everything the app kept on the phone.
    assert "knudepunkt-offline" in phone.evaluate(DATABASES)
    phone.click("#logout button")
    phone.wait_for_url("**/login/**")
    assert "knudepunkt-offline" not in phone.evaluate(DATABASES)


def test_a_conflict_sent_anyway_is_logged_on_the_servers_version(
    world, field_work, live_server, phone
):
    _, other, _ = field_work
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    phone.context.set_offline(True)
    services.do_update_company(world.manager, other, city="Skive")
    log_visit(phone, "vestergaard", other.name, "Ny maskinpark")
    phone.context.set_offline(False)
    phone.wait_for_selector("#outbox li[data-status=conflict]")
    phone.click("#outbox li[data-status=conflict] button[data-action=send-anyway]")
    phone.wait_for_selector("#outbox li.empty")
    assert GuidanceSession.objects.filter(company=other, content="Ny maskinpark").count() == 1


def test_a_visit_the_server_refuses_is_put_right_with_ret_and_sent_once(
    world, field_work, live_server, phone
):
    """The consultant also works for a focused operator and logs a visit for it; that work
    ends while the phone is offline. The phone could not know: the server refuses the
    visit (400), it stays with the server's reason; "Ret" opens it, the local operator is
    chosen, and it is sent once, under the same key."""
    company, _, _ = field_work
    focused = OperatorFactory(name="Vækstprogram Midt", kind=Operator.Kind.FOCUSED)
    services.do_set_operator_municipalities(focused, [world.home])
    membership = services.do_add_membership(world.consultant, focused, Membership.Role.CONSULTANT)
    keys = []  # the Idempotency-Key of every visit sent

    def record(request):
        if request.method == "POST" and "/api/v1/sessions/" in request.url:
            keys.append(request.headers["idempotency-key"])

    phone.on("request", record)
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    phone.context.set_offline(True)
    log_visit(phone, "smedie", company.name, "Vækstplan", operator=focused)
    [queued] = outbox(phone)
    services.do_remove_membership(membership)  # meanwhile, on the server

    phone.context.set_offline(False)
    phone.wait_for_selector(f"#outbox li[data-item='{queued['id']}'][data-status=refused]")
    phone.wait_for_selector("body[data-sync=idle]")
    [refused] = outbox(phone)
    assert "Du kan kun registrere vejledninger for din egen operatør." in refused["text"]
    assert not GuidanceSession.objects.filter(company=company, content="Vækstplan").exists()

    phone.click(f"#outbox li[data-item='{queued['id']}'] button[data-action=fix]")
    phone.wait_for_selector("#visit:not([hidden])")
    assert phone.input_value("#v-content") == "Vækstplan"  # the entry as it was typed
    assert phone.input_value("#v-operator") == str(focused.pk)
    phone.select_option("#v-operator", str(world.local.pk))
    assert phone.input_value("#v-tier") == "local"  # the operator's tier, as on the form
    phone.click("#queue-visit")
    phone.wait_for_selector("#visit", state="hidden")
    phone.wait_for_selector("#outbox li.empty")
    [session] = GuidanceSession.objects.filter(company=company, content="Vækstplan")
    assert (session.operator, session.tier) == (world.local, "local")
    assert keys == [queued["id"], queued["id"]]  # refused, then sent put right
    send_now_sends_nothing(phone)
    assert GuidanceSession.objects.filter(company=company, content="Vækstplan").count() == 1


def test_a_founder_is_kept_masked_and_visited_offline(
    world, field_work, founder, live_server, phone
):
    """The consultant's founder is in the bundle with the CPR number masked (DDMMYY-xxxx),
    never in full on the page; a visit to the founder logged offline is sent once."""
    services.do_log_session(
        world.consultant,
        founder,
        operator=world.local,
        date=timezone.localdate() - datetime.timedelta(days=10),
        tier="local",
        channel="visit",
        kind="brief",
    )
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    phone.context.set_offline(True)
    phone.fill("#find", "aaberg")  # "Åberg"
    found = phone.locator("#found li").all_inner_texts()
    assert len(found) == 1 and founder.name in found[0] and "010190-xxxx" in found[0]
    assert CPR not in phone.content() and CPR[:6] + "-" + CPR[6:] not in phone.content()
    log_visit(phone, "aaberg", founder.name, "Forretningsplan")
    assert [item["status"] for item in outbox(phone)] == ["waiting"]

    phone.context.set_offline(False)
    phone.wait_for_selector("#outbox li.empty")
    phone.wait_for_selector("body[data-sync=idle]")
    assert GuidanceSession.objects.filter(founder=founder, content="Forretningsplan").count() == 1
    send_now_sends_nothing(phone)
    assert GuidanceSession.objects.filter(founder=founder).count() == 2
    assert CPR not in phone.content()


def test_a_company_typed_in_offline_is_made_when_online_and_its_visit_follows(
    world, field_work, live_server, phone, settings, httpserver
):
    use_virk(settings, httpserver)  # the local test register
    register = VirkRegister(httpserver, virk_document())
    register.down.add(EXAMPLE_CVR)
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    phone.context.set_offline(True)

    phone.fill("#c-cvr", "12345678")  # the online form's check: the check digit
    phone.click("#queue-company")
    assert "kontrolcifferet passer ikke" in phone.inner_text("#c-cvr-error")
    phone.fill("#c-cvr", EXAMPLE_CVR)
    phone.click("#queue-company")
    phone.wait_for_selector("#visit:not([hidden])")  # a visit to the new company at once
    assert EXAMPLE_CVR in phone.inner_text("#visit-subject")
    phone.fill("#v-content", "Første møde")
    phone.click("#queue-visit")
    expect(phone.locator("#outbox li[data-item]")).to_have_count(2)

    # The register does not answer: the company waits, and its visit with it.
    phone.context.set_offline(False)
    phone.wait_for_selector("#outbox li[data-kind=company][data-status=retry]")
    phone.wait_for_selector("body[data-sync=idle]")
    assert "CVR-registret svarer ikke" in phone.inner_text("#outbox")
    assert not Company.objects.filter(cvr=EXAMPLE_CVR).exists()

    register.down.clear()
    phone.click("#send-now")
    phone.wait_for_selector("#outbox li.empty")
    company = Company.objects.get(cvr=EXAMPLE_CVR)
    assert company.name == "Eksempel Rådgivning ApS"
    assert GuidanceSession.objects.get(company=company).content == "Første møde"


def test_when_the_session_has_ended_the_bundle_is_deleted_and_the_outbox_kept(
    world, field_work, live_server, phone
):
    company, _, _ = field_work
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    phone.context.set_offline(True)
    log_visit(phone, "smedie", company.name, "Eksport")
    Session.objects.all().delete()  # the login session ends on the server
    phone.context.set_offline(False)
    phone.wait_for_selector("#sync-status:has-text('ikke logget ind')")
    assert phone.locator("#follow-ups li").count() == 0
    assert len(outbox(phone)) == 1
    assert "Ingen data på telefonen" in phone.inner_text("#bundle-state")

    # Logged in again, the outbox is sent.
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    assert outbox(phone) == []
    assert GuidanceSession.objects.filter(company=company, content="Eksport").count() == 1

    # A bundle whose time has run out is deleted when the app opens, even offline.
    phone.evaluate(
        """() => KnudepunktStore.get("data", "bundle").then(bundle =>
          KnudepunktStore.put("data", "bundle", {...bundle, expires_at: "2000-01-01T00:00:00Z"}))"""
    )
    phone.context.set_offline(True)
    phone.reload()
    phone.wait_for_selector("body[data-ready=true]")
    assert "udløbet" in phone.inner_text("#sync-status")
    assert phone.evaluate("KnudepunktStore.get('data', 'bundle')") is None


def test_the_app_is_installable_and_opens_offline(world, field_work, live_server, phone):
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)

    href = phone.get_attribute("link[rel=manifest]", "href")
    manifest = phone.evaluate("url => fetch(url).then(r => r.json())", href)
    assert manifest["start_url"] == APP and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    scope = phone.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
    assert scope == live_server.url + "/"
    assert phone.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    assert problems_of(phone, "offline-app") == []
    screenshot(phone, "offline-app")
    phone.fill("#find", "smedie")
    phone.click("#found button")
    phone.fill("#v-date", "2099-01-01")
    phone.click("#queue-visit")  # refused on the phone: the summary takes the focus
    assert phone.evaluate("document.activeElement.id") == "visit-errors"
    assert "Datoen må ikke ligge efter i dag." in phone.inner_text("#v-date-error")
    assert problems_of(phone, "offline-visit-refused") == []
    screenshot(phone, "offline-visit-refused")
    phone.click("#cancel-visit")

    phone.context.set_offline(True)
    [worker] = phone.context.service_workers  # offline too: the page can only come from its cache
    assert worker.evaluate("fetch('/mobil/').then(() => 'network', () => 'offline')") == "offline"
    phone.reload()
    phone.wait_for_selector("body[data-ready=true]")
    assert phone.inner_text("h1") == "Besøg uden net"
    assert phone.inner_text("#connection") == "Uden net"
    # The search works on what the phone keeps.
    phone.fill("#find", "maskiner")
    assert phone.locator("#found button").all_inner_texts() == ["Vestergaard Maskiner A/S"]


def test_only_the_app_and_its_files_are_cached(world, field_work, live_server, phone):
    """API answers live only in the app's encrypted store, never in the service worker's
    cache; the store holds no record in clear."""
    log_in(phone, live_server, world.consultant.username, PASSWORD)
    open_app(phone, live_server)
    cached = phone.evaluate(
        "caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
        ".then(c => c.keys())))).then(all => all.flat().map(r => new URL(r.url).pathname))"
    )
    assert APP in cached and not [path for path in cached if path.startswith("/api/")]
    stored = phone.evaluate(
        """() => new Promise(resolve => {
          const open = indexedDB.open("knudepunkt-offline");
          open.onsuccess = () => {
            const get = open.result.transaction("data").objectStore("data").get("bundle");
            get.onsuccess = () => resolve(Object.keys(get.result).sort());
          };
        })"""
    )
    assert stored == ["box", "iv"]


def test_the_app_page_answers_consultants_and_refuses_viewers(world, live_server, phone):
    log_in(phone, live_server, world.viewer.username, PASSWORD)
    assert phone.goto(live_server.url + APP).status == 403


# --- The phone's session rules and the server's, on one table -------------------------------

TODAY = datetime.date(2026, 6, 15)
CASES = [
    {"date": "2026-06-15", "kind": "brief"},
    {"date": "2026-06-16", "kind": "brief"},
    {"date": "2024-06-15", "kind": "brief"},
    {"date": "2024-06-14", "kind": "brief"},
    {"date": "2024-06-14", "kind": "brief", "stored_date": "2024-06-14"},
    {"date": "2026-06-10", "follow_up_on": "2026-06-10", "kind": "brief"},
    {"date": "2026-06-10", "follow_up_on": "2026-06-09", "kind": "brief"},
    {"date": "2026-06-10", "follow_up_on": "2026-06-11", "kind": "brief"},
    {"date": "2026-06-10", "screening_result": "A", "screening_done": False},
    {"date": "2026-06-10", "screening_result": "B", "screening_done": True},
    {"date": "2026-06-10", "kind": "full", "content": "  ", "hours_during": "4"},
    {"date": "2026-06-10", "kind": "full", "content": "Eksport", "hours_before": "0",
     "hours_during": "0", "hours_after": "0"},
    {"date": "2026-06-10", "kind": "full", "content": "Eksport", "hours_after": "0.5"},
    {"date": "2026-06-10", "kind": "full", "content": "", "hours_during": "25"},
    {"date": "2026-06-10", "kind": "brief", "hours_before": "24", "hours_after": "24.1"},
    {"date": "2026-06-10", "kind": "full"},
    {"date": "", "follow_up_on": "2026-06-01", "kind": "full", "content": "x", "hours_during": "1"},
    {"date": "2026-06-20", "follow_up_on": "2026-06-18", "screening_result": "C", "kind": "full"},
]  # fmt: skip


def python_errors(case: dict) -> dict[str, str]:
    """crm.services.session_rule_errors on the case, typed as the form would clean it."""
    fields = dict(case)
    for name in ("date", "follow_up_on", "stored_date"):
        fields[name] = datetime.date.fromisoformat(case[name]) if case.get(name) else None
    for name in ("hours_before", "hours_during", "hours_after"):
        if name in case:
            fields[name] = Decimal(case[name])
    errors = session_rule_errors(fields, today=TODAY, stored_date=fields.pop("stored_date"))
    return {name: str(message) for name, message in errors.items()}


def test_the_phones_session_rules_agree_with_the_servers(chromium):
    page = chromium.new_page()
    page.add_script_tag(path=str(RULES_JS))
    with translation.override("da"):
        options = {"today": TODAY.isoformat(), "maxAgeDays": services.SESSION_MAX_AGE_DAYS,
                   "maxHours": services.SESSION_MAX_HOURS, "messages": rule_messages()}  # fmt: skip
        expected = [python_errors(case) for case in CASES]
    found = page.evaluate(
        "([cases, options]) => cases.map(c => KnudepunktRules.sessionErrors(c, options))",
        [CASES, options],
    )
    page.close()
    assert found == expected
    assert all(expected[1:4:2]) and any(not errors for errors in expected)  # both kinds tested


FORM_CASES = [
    {},
    {"hours_before": "-1"},
    {"hours_during": "101"},
    {"hours_after": "1.25"},
    {"hours_after": ""},
    {"hours_before": "abc"},
    {"tier": ""},
    {"channel": "", "date": ""},
    {"kind": "full", "content": ""},
    {"follow_up_on": "today"},
]


def test_the_phones_form_checks_refuse_what_the_session_form_refuses(world, chromium):
    """The whole check the phone makes (required fields, hours, then the rules) against
    crm.forms.SessionForm on the same input: the same fields refused."""
    today = timezone.localdate().isoformat()
    base = {"date": today, "operator": str(world.local.pk), "tier": "local", "channel": "visit",
            "kind": "brief", "hours_before": "2", "hours_during": "4", "hours_after": "2",
            "content": "", "screening_result": "", "follow_up_on": ""}  # fmt: skip
    cases = [
        base | {k: today if v == "today" else v for k, v in case.items()} for case in FORM_CASES
    ]
    with translation.override("da"):
        config = app_config(type("Request", (), {"user": world.consultant})())
        expected = [sorted(SessionForm(data=case, user=world.consultant).errors) for case in cases]
    options = {"today": today, **config["rules"]}
    page = chromium.new_page()
    page.add_script_tag(path=str(RULES_JS))
    found = page.evaluate(
        "([cases, options]) => cases.map(c => "
        "Object.keys(KnudepunktRules.check(c, options)).sort())",
        [cases, options],
    )
    page.close()
    assert found == expected, json.dumps(list(zip(cases, found, expected, strict=True)), indent=1)
