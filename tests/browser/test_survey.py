"""The operator's own user survey end to end (issue 17): a consultant logs a full session in
the browser, the manager sets the delay to 0 days on the survey page, the job
``send_surveys`` runs in a real Celery worker and e-mails the contact person (captured as
files by the worker's e-mail backend), the link opens on a phone and passes axe, the answer
moves a satisfaction goal at the next attainment run, and the link works once only."""

import datetime
import email
import email.policy
import re

import pytest
from django.test import Client
from django.utils import timezone

from contracts.models import Contract, Evaluation, Goal, Snapshot
from contracts.surveys.models import SurveyInvitation
from contracts.surveys.services import digest
from contracts.tasks import compute_contract_attainment, send_surveys
from crm import services
from tests.browser.conftest import DANISH, log_in, screenshot
from tests.browser.test_phone_and_a11y import problems_of
from tests.conftest import CVRS, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between the messages of one file (filebased backend)


def mails(folder) -> list[email.message.EmailMessage]:
    """Every e-mail the worker's file backend wrote into ``folder``."""
    found = []
    for path in sorted(folder.iterdir()):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return found


def link_in(message) -> str:
    """The answer page's path in an invitation (its host is the worker's SITE_URL)."""
    text = message.get_body(("plain",)).get_content()
    return re.search(r"/svar/[A-Za-z0-9_-]+/", text).group(0)


def phone_page(chromium):
    context = chromium.new_context(**DANISH, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def satisfaction_value(goal: Goal):
    snap = Snapshot.objects.filter(goal=goal, municipality=None).order_by("-as_of").first()
    return snap.value if snap else None


@pytest.fixture
def satisfaction_goal(world):
    """A contract of the local service with a satisfaction goal, and one national answer
    ('Tilfreds', not 'Meget tilfreds'): the share is 0 % before the survey's answer."""
    today = timezone.localdate()
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt Viborg",
        starts_on=datetime.date(today.year, 1, 1),
        ends_on=datetime.date(today.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    Evaluation.objects.create(
        operator=world.local, municipality=world.home, answered_on=today, satisfaction="satisfied"
    )
    return Goal.objects.create(
        contract=contract,
        number="3",
        title="Meget tilfredse brugere",
        indicator="satisfaction_share",
        target_kind="share",
        target=80,
    )


@pytest.fixture
def second_company(world):
    """Another company whose contact person consented, guided today (its link will expire)."""
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Bech Bageri ApS", municipality=world.home
    )
    services.do_add_contact(
        world.consultant, other, name="Bo Bech", email="bo@bech.dk", survey_consent=True
    )
    services.do_log_session(
        world.consultant,
        other,
        operator=world.local,
        date=timezone.localdate(),
        tier="local",
        channel="phone",
        kind="full",
    )
    return other


def log_full_session(page, live_server, world, company) -> None:
    log_in(page, live_server, world.consultant.username, PASSWORD)
    page.goto(f"{live_server.url}/virksomheder/{company.pk}/")
    page.select_option("select[name=kind]", "full")
    page.check("input[name=themes][value=export]")
    page.fill("textarea[name=content]", "Eksportrådgivning")
    page.click("#save-session")
    page.wait_for_selector("#timeline li[data-kind=session]")


def set_no_delay(phone, live_server, world) -> list[str]:
    """The manager sets the survey to go out the same day, on a phone; what axe finds."""
    log_in(phone, live_server, world.manager.username, PASSWORD)
    phone.goto(f"{live_server.url}/rapporter/brugerundersoegelse/{world.local.pk}/")
    phone.fill("#id_delay_days", "0")
    phone.click("#survey-settings button[type=submit]")
    phone.wait_for_selector(".messages")
    screenshot(phone, "survey-manager-settings")
    return problems_of(phone, "survey-manager")


def test_survey_from_session_to_answer_to_goal(
    world, company, second_company, satisfaction_goal, live_server, page, chromium, request
):
    services.do_add_contact(
        world.consultant,
        company,
        name="Mette Holm",
        role="Direktør",
        email="mette@smedie.dk",
        survey_consent=True,
    )
    log_full_session(page, live_server, world, company)
    manager = phone_page(chromium)
    found = set_no_delay(manager, live_server, world)

    # From here tasks go to a real worker on a queue of its own, mailing into tmp_path.
    worker = request.getfixturevalue("real_worker")
    outbox = request.getfixturevalue("tmp_path")
    compute_contract_attainment.apply_async(
        [satisfaction_goal.contract_id], queue=worker.queue
    ).get(timeout=60)
    assert satisfaction_value(satisfaction_goal) == 0

    counts = send_surveys.apply_async(queue=worker.queue).get(timeout=60)
    assert (counts["created"], counts["sent"]) == (2, 2)
    sent = {message["To"]: link_in(message) for message in mails(outbox)}
    assert set(sent) == {"mette@smedie.dk", "bo@bech.dk"}

    # The contact person answers on a phone, without logging in.
    phone = phone_page(chromium)
    phone.goto(f"{live_server.url}{sent['mette@smedie.dk']}")
    phone.wait_for_selector("#survey form")
    screenshot(phone, "survey-answer-phone")
    found += problems_of(phone, "survey-answer")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.check("input[name=satisfaction][value=very]")
    phone.check("input[name=nps][value='10']")
    phone.check("input[name=effect][value=high]")
    phone.fill("textarea[name=comment]", "Konkrete råd om eksport")
    phone.check("input[name=keep_identity]")
    origins = []  # a form POST says "Origin: null" under "Referrer-Policy: no-referrer"
    phone.on("request", lambda r: r.method == "POST" and origins.append(r.headers.get("origin")))
    with phone.expect_navigation():
        phone.click("#survey button[type=submit]")
    screenshot(phone, "survey-answered-phone")
    assert "Tak for dit svar" in phone.inner_text("body"), (origins, phone.inner_text("body"))
    assert not found, "\n".join(found)
    answer = Evaluation.objects.get(origin=Evaluation.Origin.OWN)
    assert (answer.company_id, answer.satisfaction, answer.nps) == (company.pk, "very", 10)

    # The next attainment run counts it: one of two answers 'Meget tilfreds'.
    compute_contract_attainment.apply_async(
        [satisfaction_goal.contract_id], queue=worker.queue
    ).get(timeout=60)
    assert satisfaction_value(satisfaction_goal) == 50

    # The link again: used, and nothing more is written, by the page or by a second submit.
    phone.goto(f"{live_server.url}{sent['mette@smedie.dk']}")
    assert "Du har allerede svaret" in phone.inner_text("#survey")
    assert phone.locator("#survey form").count() == 0
    resubmit = Client().post(
        sent["mette@smedie.dk"], {"satisfaction": "very_dissatisfied", "nps": "0", "effect": "none"}
    )
    assert resubmit.status_code == 410
    assert Evaluation.objects.filter(origin=Evaluation.Origin.OWN).count() == 1

    # An expired link is refused.
    token = sent["bo@bech.dk"].split("/")[2]
    SurveyInvitation.objects.filter(token_hash=digest(token)).update(
        expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    phone.goto(f"{live_server.url}{sent['bo@bech.dk']}")
    assert "Linket er udløbet" in phone.inner_text("#survey")
    screenshot(phone, "survey-expired-phone")

    # The job again: nothing new to send (one survey per session), no new e-mail.
    counts = send_surveys.apply_async(queue=worker.queue).get(timeout=60)
    assert (counts["created"], counts["sent"], counts["reminded"]) == (0, 0, 0)
    assert len(mails(outbox)) == 2

    # The manager's page: the month's rate and the comment, with the company (kept by consent).
    manager.goto(f"{live_server.url}/rapporter/brugerundersoegelse/{world.local.pk}/")
    assert "Konkrete råd om eksport" in manager.inner_text("#survey-comments")
    assert "Østergaard Smedie ApS" in manager.inner_text("#survey-comments")
    assert "50 %" in manager.inner_text("#survey-rates")
    screenshot(manager, "survey-manager-page")
    for context in (phone.context, manager.context):
        context.close()
