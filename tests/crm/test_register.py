"""The company register client against a local register (pytest-httpserver) answering with
payloads shaped like the recorded ones."""

import base64
import datetime
import json
import time

import pytest

from crm import register
from tests.crm.register_server import (
    EXAMPLE_CVR,
    EXAMPLE_P,
    RECORDED,
    VirkRegister,
    json_response,
    use_cvrapi,
    use_virk,
    virk_document,
)

pytestmark = pytest.mark.django_db


def test_a_cvr_number_is_read_from_the_system_to_system_access(virk, httpserver):
    found = register.look_up_cvr(EXAMPLE_CVR)

    assert found.cvr == EXAMPLE_CVR
    assert found.name == "Eksempel Rådgivning ApS"
    assert (found.address, found.postcode, found.city) == ("Eksempelvej 12", "8800", "Viborg")
    assert found.municipality_code == "791"
    assert found.industry_code == "621000"  # DB25: the main industry dated 2025 or later
    assert found.company_form == "Anpartsselskab"
    assert found.started_on == datetime.date(2019, 3, 1)
    assert found.employees_band == "5-9"
    assert found.status == register.Status.ACTIVE
    assert not found.protected
    assert [(u.p_number, u.address, u.main) for u in found.production_units] == [
        (EXAMPLE_P, "Eksempelvej 12", True)
    ]
    assert virk.asked[0]["query"] == {"term": {"Vrvirksomhed.cvrNummer": int(EXAMPLE_CVR)}}
    request, _response = httpserver.log[0]
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"knudepunkt:hemmelig").decode()
    )


def test_a_p_number_finds_its_company(virk):
    assert register.look_up_p_number(EXAMPLE_P).cvr == EXAMPLE_CVR


def test_an_unknown_cvr_number_is_not_found(virk):
    with pytest.raises(register.NotInRegister, match="findes ikke i CVR-registret"):
        register.look_up_cvr("35954716")


def test_an_advertising_protected_company_is_filled_and_flagged(settings, httpserver):
    use_virk(settings, httpserver)
    VirkRegister(httpserver, virk_document(protected=True))

    found = register.look_up_cvr(EXAMPLE_CVR)

    assert found.protected
    assert found.name == "Eksempel Rådgivning ApS"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("NORMAL", "active"),
        ("UNDER KONKURS", "bankrupt"),
        ("OPLØST EFTER KONKURS", "bankrupt"),
        ("OPHØRT", "ceased"),
        ("TVANGSOPLØST", "ceased"),
    ],
)
def test_the_register_status_becomes_active_ceased_or_bankrupt(settings, httpserver, text, status):
    use_virk(settings, httpserver)
    VirkRegister(httpserver, virk_document(status=text))

    assert register.look_up_cvr(EXAMPLE_CVR).status == status


def test_a_register_slower_than_the_timeout_is_a_message_not_a_wait(settings, httpserver):
    use_virk(settings, httpserver)
    settings.CVR_REGISTER_TIMEOUT = 0.3

    def slow(request):
        time.sleep(1)
        return json_response({})

    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_handler(slow)

    with pytest.raises(register.RegisterUnavailable, match="svarede ikke inden for 0.3 sekunder"):
        register.look_up_cvr(EXAMPLE_CVR)
    # The server is shared by the tests: its late answer must not land in the next test's log.
    for _ in range(500):
        if httpserver.log:
            break
        time.sleep(0.02)


def test_a_server_error_is_retried_once_then_reported(settings, httpserver):
    use_virk(settings, httpserver)
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_data(
        "busy", status=503
    )

    with pytest.raises(register.RegisterUnavailable, match=r"fejl lige nu \(503\)"):
        register.look_up_cvr(EXAMPLE_CVR)
    assert len(httpserver.log) == 2  # the first try and one retry


def test_a_server_error_then_an_answer_is_an_answer(settings, httpserver):
    use_virk(settings, httpserver)
    url = "/cvr-permanent/virksomhed/_search"
    httpserver.expect_ordered_request(url).respond_with_data("busy", status=502)
    answer = RECORDED["virk_cvr_system_til_system"]["response"]
    httpserver.expect_ordered_request(url).respond_with_json(answer)
    httpserver.expect_request("/cvr-permanent/produktionsenhed/_search").respond_with_json(
        {"hits": {"hits": []}}
    )

    assert register.look_up_cvr(EXAMPLE_CVR).name == "Eksempel Rådgivning ApS"


def test_malformed_json_is_reported_as_unreadable(settings, httpserver):
    use_virk(settings, httpserver)
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_data(
        '{"hits": {"hits": [', content_type="application/json"
    )

    with pytest.raises(register.RegisterUnavailable, match="ikke kunne læses"):
        register.look_up_cvr(EXAMPLE_CVR)


def test_json_of_another_shape_is_reported_as_unreadable(settings, httpserver):
    use_virk(settings, httpserver)
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_json(
        {"hits": {"hits": [{"_source": {"Vrvirksomhed": {"navne": "x"}}}]}}
    )

    with pytest.raises(register.RegisterUnavailable, match="ikke kunne læses"):
        register.look_up_cvr(EXAMPLE_CVR)


def test_refused_credentials_are_named(settings, httpserver):
    use_virk(settings, httpserver)
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_data("", status=401)

    with pytest.raises(register.RegisterUnavailable, match="afviste adgangen"):
        register.look_up_cvr(EXAMPLE_CVR)


def test_without_configuration_lookup_is_off(settings):
    settings.CVR_REGISTER_URL = settings.CVRAPI_URL = ""

    assert not register.is_configured()
    with pytest.raises(register.RegisterUnavailable, match="slået fra"):
        register.look_up_cvr(EXAMPLE_CVR)


def test_a_name_is_searched_in_the_register(settings, httpserver):
    use_virk(settings, httpserver)
    VirkRegister(
        httpserver,
        virk_document(),
        virk_document(cvr="35954716", name="Østergaard Smedie ApS", p_number="1012345679"),
    )

    assert [c.cvr for c in register.search_names("smedie")] == ["35954716"]


# --- cvrapi.dk ------------------------------------------------------------------------------


def test_cvrapi_answer_is_normalised_the_same_way(settings, httpserver):
    use_cvrapi(settings, httpserver)
    settings.CVRAPI_TOKEN = "t0ken"
    httpserver.expect_request(
        "/api", query_string={"vat": EXAMPLE_CVR, "country": "dk", "token": "t0ken"}
    ).respond_with_json(RECORDED["cvrapi_dk"]["response_ok"])

    found = register.look_up_cvr(EXAMPLE_CVR)

    assert (found.cvr, found.name, found.city, found.postcode) == (
        EXAMPLE_CVR,
        "Eksempel Rådgivning ApS",
        "Viborg",
        "8800",
    )
    assert found.started_on == datetime.date(2019, 3, 1)
    assert found.employees_band == "5-9"
    assert found.company_form == "Anpartsselskab"
    assert found.production_units[0].p_number == EXAMPLE_P
    assert found.source == "cvrapi"
    request, _response = httpserver.log[0]
    assert request.headers["User-Agent"] == settings.CVR_USER_AGENT


def test_cvrapi_not_found_error(settings, httpserver):
    use_cvrapi(settings, httpserver)
    httpserver.expect_request("/api").respond_with_json(
        {"error": "NOT_FOUND", "t": "1", "version": "6"}, status=404
    )

    with pytest.raises(register.NotInRegister):
        register.look_up_cvr("35954716")


def test_cvrapi_protected_and_bankrupt(settings, httpserver):
    use_cvrapi(settings, httpserver)
    answer = {**RECORDED["cvrapi_dk"]["response_ok"], "protected": True, "creditbankrupt": True}
    httpserver.expect_request("/api").respond_with_json(answer)

    found = register.look_up_cvr(EXAMPLE_CVR)

    assert found.protected
    assert found.status == register.Status.BANKRUPT


def test_the_second_provider_answers_when_the_first_is_away(settings, httpserver):
    use_virk(settings, httpserver)
    settings.CVRAPI_URL = httpserver.url_for("/api")
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_data(
        "down", status=500
    )
    httpserver.expect_request("/api").respond_with_json(RECORDED["cvrapi_dk"]["response_ok"])

    assert register.look_up_cvr(EXAMPLE_CVR).source == "cvrapi"


@pytest.mark.parametrize(
    ("code", "band"),
    [
        ("ANTAL_5_9", "5-9"),
        ("ANTAL_1_1", "1"),
        ("ANTAL_1000_999999", "1000+"),
        ("ANTAL_1000_", "1000+"),
        ("200 - 499", "200-499"),
        (None, ""),
    ],
)
def test_employee_bands(code, band):
    assert register.band(code) == band


def test_recorded_payload_is_copied_into_the_project():
    assert json.dumps(RECORDED).count("12345674") >= 2
