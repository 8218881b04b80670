"""The company form with the register: the lookup endpoint (four users), filling, messages,
the CVR number that cannot change (form and API) and P-numbers (validated, unique)."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.models import Company, ProductionUnit
from tests.conftest import CVRS, assert_four_users
from tests.crm.register_server import (
    EXAMPLE_CVR,
    EXAMPLE_P,
    VirkRegister,
    use_virk,
    virk_document,
)

pytestmark = pytest.mark.django_db


def lookup_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('company-register-lookup')}?{query}"


def test_the_lookup_for_the_four_users(world, virk):
    # The register's company lies in Viborg: the outsider (Aarhus) may not register it.
    assert_four_users(world, lookup_url(by="cvr", cvr=EXAMPLE_CVR), allowed=world.consultant)


def test_the_outsider_is_told_why(world, virk):
    response = world.client_for(world.outsider).get(
        lookup_url(by="cvr", cvr=EXAMPLE_CVR), headers={"HX-Request": "true"}
    )

    assert response.status_code == 404
    assert "hvor du ikke må registrere virksomheder" in response.text


def test_a_cvr_number_fills_the_form_from_the_register(world, virk):
    response = world.client_for(world.consultant).get(
        lookup_url(by="cvr", cvr=EXAMPLE_CVR, segment="", employees="4"),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["name"] == "Eksempel Rådgivning ApS"
    assert form.initial["municipality"] == world.home.pk
    assert form.initial["p_number"] == EXAMPLE_P
    assert form.initial["employees"] == "4"  # the consultant's own fields stay as typed
    assert form.initial["employees_band"] == "5-9"
    assert "Udfyldt fra CVR-registret" in response.text
    assert "<html" not in response.text  # the fields only, for htmx


def test_a_p_number_fills_the_form_too(world, virk):
    response = world.client_for(world.consultant).get(lookup_url(by="p_number", p_number=EXAMPLE_P))

    assert response.context["form"].initial["cvr"] == EXAMPLE_CVR


def test_an_unknown_cvr_number_says_so_and_keeps_what_was_typed(world, virk):
    response = world.client_for(world.consultant).get(
        lookup_url(by="cvr", cvr=CVRS[1], name="Min virksomhed")
    )

    assert response.status_code == 200
    assert "findes ikke i CVR-registret" in response.text
    assert response.context["form"].initial["name"] == "Min virksomhed"


def test_a_protected_company_is_flagged_on_the_form(world, settings, httpserver):
    use_virk(settings, httpserver)
    VirkRegister(httpserver, virk_document(protected=True))

    response = world.client_for(world.consultant).get(lookup_url(by="cvr", cvr=EXAMPLE_CVR))

    assert "reklamebeskyttet" in response.text
    assert response.context["form"].initial["advertising_protected"] is True


def test_a_register_error_is_a_message_not_a_500(world, settings, httpserver):
    use_virk(settings, httpserver)
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_data(
        "oops", status=500
    )

    response = world.client_for(world.consultant).get(lookup_url(by="cvr", cvr=EXAMPLE_CVR))

    assert response.status_code == 200
    assert "fejl lige nu" in response.text


def test_without_configuration_the_form_says_lookup_is_off(world, settings):
    settings.CVR_REGISTER_URL = settings.CVRAPI_URL = ""

    response = world.client_for(world.consultant).get(reverse("company-create"))

    assert "Opslag i CVR-registret er slået fra" in response.text
    assert "hx-get" not in response.text


def test_a_name_search_lists_the_register_companies(world, virk):
    response = world.client_for(world.consultant).get(
        lookup_url(register_name="rådgivning"), headers={"HX-Request": "true"}
    )

    assert "Eksempel Rådgivning ApS" in response.text
    assert f"cvr={EXAMPLE_CVR}" in response.text


def test_the_filled_form_saves_with_the_register_facts(
    world, virk, django_capture_on_commit_callbacks
):
    client = world.client_for(world.consultant)
    filled = client.get(lookup_url(by="cvr", cvr=EXAMPLE_CVR)).context["form"].initial
    posted = {k: v for k, v in filled.items() if k != "by"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("company-create"), posted)

    company = Company.objects.get(cvr=EXAMPLE_CVR)
    assert response["Location"] == reverse("company-detail", args=[company.pk])
    assert (company.company_form, company.employees_band, company.register_source) == (
        "Anpartsselskab",
        "5-9",
        "cvr",
    )
    assert company.industry_code.code == "621000"
    # After the commit, the company's production units were read from the register.
    assert list(company.production_units.values_list("p_number", flat=True)) == [EXAMPLE_P]


# --- The CVR number stays; P-numbers are validated and unique ---------------------------------


def test_the_cvr_number_cannot_be_changed_in_the_form(world, company):
    world.client_for(world.consultant).post(
        reverse("company-edit", args=[company.pk]),
        {"cvr": CVRS[2], "name": company.name, "municipality": world.home.pk},
    )

    company.refresh_from_db()
    assert company.cvr == CVRS[0]


def test_the_cvr_number_cannot_be_changed_through_the_api(world, company):
    url = reverse("api-company-detail", args=[company.pk])

    response = world.client_for(world.consultant).patch(
        url, {"cvr": CVRS[2]}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "kan ikke ændres" in str(response.json())
    company.refresh_from_db()
    assert company.cvr == CVRS[0]


def test_the_same_cvr_number_in_a_patch_is_fine(world, company):
    url = reverse("api-company-detail", args=[company.pk])

    response = world.client_for(world.consultant).patch(
        url, {"cvr": CVRS[0], "employees": 3}, content_type="application/json"
    )

    assert response.status_code == 200


def test_a_p_number_is_refused_with_a_clear_message(world):
    response = world.client_for(world.consultant).post(
        reverse("company-create"),
        {"cvr": CVRS[1], "name": "Ny ApS", "municipality": world.home.pk, "p_number": "123456789"},
    )

    assert "Et P-nummer består af 10 cifre" in response.text


@pytest.mark.parametrize("p_number", ["123456789", "12345678901", "10123456AB"])
def test_a_p_number_is_ten_digits(world, p_number):
    response = world.client_for(world.consultant).post(
        reverse("company-create"),
        {"cvr": CVRS[1], "name": "Ny ApS", "municipality": world.home.pk, "p_number": p_number},
    )

    assert "p_number" in response.context["form"].errors
    assert not Company.objects.filter(cvr=CVRS[1]).exists()


def test_a_p_number_belongs_to_one_company(world, company):
    Company.objects.filter(pk=company.pk).update(p_number=EXAMPLE_P)

    response = world.client_for(world.consultant).post(
        reverse("company-create"),
        {"cvr": CVRS[1], "name": "Ny ApS", "municipality": world.home.pk, "p_number": EXAMPLE_P},
    )

    assert "P-nummeret tilhører allerede en anden virksomhed" in response.text
    assert not Company.objects.filter(cvr=CVRS[1]).exists()


def test_a_production_unit_of_another_company_is_refused_in_the_api(world, company):
    ProductionUnit.objects.create(company=company, p_number=EXAMPLE_P)

    response = world.client_for(world.consultant).post(
        reverse("api-company-list"),
        {"cvr": CVRS[1], "name": "Ny ApS", "municipality": world.home.pk, "p_number": EXAMPLE_P},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "p_number" in response.json()


def test_anonymous_is_sent_to_log_in(virk):
    response = Client().get(lookup_url(by="cvr", cvr=EXAMPLE_CVR))

    assert response["Location"].startswith("/login/")
