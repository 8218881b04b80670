import pytest

from crm.models import Company
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD
from tests.crm.register_server import EXAMPLE_CVR, VirkRegister, use_virk, virk_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_types_a_cvr_number_sees_the_form_filled_and_saves(
    world, live_server, page, settings, httpserver
):
    use_virk(settings, httpserver)  # the local test register
    VirkRegister(httpserver, virk_document())
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server, world.consultant.username, PASSWORD)

    page.goto(f"{live_server.url}/virksomheder/ny/")
    page.fill("#id_cvr", EXAMPLE_CVR)
    page.press("#id_cvr", "Tab")  # leaving the field asks the register
    page.wait_for_selector("#register-found")

    assert page.input_value("#id_name") == "Eksempel Rådgivning ApS"
    assert page.input_value("#id_address") == "Eksempelvej 12"
    assert page.input_value("#id_municipality") == str(world.home.pk)
    assert page.input_value("#id_company_form") == "Anpartsselskab"
    screenshot(page, "company-filled-from-register")
    page.click("#save")
    page.wait_for_selector("text=Virksomheden er oprettet.")

    company = Company.objects.get(cvr=EXAMPLE_CVR)
    assert (company.name, company.municipality, company.register_source) == (
        "Eksempel Rådgivning ApS",
        world.home,
        "cvr",
    )
    assert errors == []


def test_without_a_register_the_form_says_lookup_is_off(world, live_server, page, settings):
    settings.CVR_REGISTER_URL = settings.CVRAPI_URL = ""
    log_in(page, live_server, world.consultant.username, PASSWORD)

    page.goto(f"{live_server.url}/virksomheder/ny/")

    assert page.locator("text=Opslag i CVR-registret er slået fra").is_visible()
