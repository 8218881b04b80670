"""Issue 16: a consultant creates an event, registers three participants (a company, a founder
and a person with neither), marks who came, and the person later becomes a founder record
from a form filled in from the participation."""

import pytest
from django.utils import timezone

from crm.models import Event, Founder
from crm.services import find_founder_by_cpr
from tests.browser.conftest import log_in, screenshot
from tests.conftest import CPR, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
PERSON_CPR = "0302954321"


def test_consultant_runs_an_event_and_a_person_who_came_becomes_a_founder(
    world, company, founder, live_server, page
):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server, world.consultant.username, PASSWORD)
    page.wait_for_selector("[data-landing=consultant]")

    page.click("nav >> text=Arrangementer")
    page.click("#event-create")
    page.fill("#id_title", "Start egen virksomhed")
    page.select_option("#id_kind", "course")
    page.fill("#id_date", TODAY.isoformat())
    page.fill("#id_place", "Viborg Bibliotek")
    page.select_option("#id_municipality", str(world.home.pk))
    page.check("input[name=themes][value=start_up]")
    page.fill("#id_hours", "3")
    screenshot(page, "event-form")
    page.click("#save-event")
    page.wait_for_selector("#participant-form")
    event = Event.objects.get()
    assert TODAY.strftime("%d.%m.%Y") in page.locator("header.subject-head").inner_text()

    page.check("input[name=kind][value=company]")
    page.fill("#id_cvr", company.cvr)
    page.click("#register-participant")
    page.wait_for_selector(f"text={company.name}")
    page.check("input[name=kind][value=founder]")
    page.fill("#id_cpr_number", CPR)
    page.click("#register-participant")
    page.wait_for_selector(f"text={founder.name}")
    page.check("input[name=kind][value=person]")
    page.fill("#id_name", "Ida Idé")
    page.fill("#id_email", "ida@example.dk")
    page.select_option("#id_municipality", str(world.home.pk))
    page.click("#register-participant")
    page.wait_for_selector("text=Ida Idé")
    rows = page.locator("#participants tbody tr")
    assert rows.count() == 3
    assert "010190-xxxx" in page.locator("#participants").inner_text()
    assert CPR not in page.content()

    person = event.participants.get(name="Ida Idé")
    for participant in event.participants.exclude(company__isnull=False):
        page.check(f"#present-{participant.pk}")  # the founder and the person came
    page.click("#save-attendance")
    page.wait_for_selector("text=Fremmødet er gemt.")
    assert {p.kind: p.attended for p in event.participants.all()} == {
        "company": False,
        "founder": True,
        "person": True,
    }
    screenshot(page, "event-participants")

    page.click(f"tr[data-participant='{person.pk}'] .make-founder")
    assert page.input_value("#id_name") == "Ida Idé"
    assert page.input_value("#id_email") == "ida@example.dk"
    page.fill("#id_cpr_number", PERSON_CPR)
    screenshot(page, "event-make-founder")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Ida Idé er oprettet og knyttet til deltagelsen")
    assert "Start egen virksomhed" in page.locator("#timeline li[data-kind=event]").inner_text()

    created = find_founder_by_cpr(PERSON_CPR)
    assert page.url.endswith(f"/ivaerksaettere/{created.pk}/")
    assert created.name == "Ida Idé" and created.email == "ida@example.dk"
    person.refresh_from_db()
    assert person.founder == created and person.attended is True
    assert Founder.objects.count() == 2
    page.goto(f"{live_server.url}/arrangementer/{event.pk}/")
    assert "030295-xxxx" in page.locator("#participants").inner_text()
    screenshot(page, "event-after-make-founder")
    assert errors == []
