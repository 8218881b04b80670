"""403, 404 and 500 answer in Danish inside the shell, with a way back, as in production."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from crm import bad_input

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_page_not_found_is_danish_inside_the_shell_with_a_way_home(world):
    response = world.client_for(world.consultant).get("/findes-ikke/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Siden findes ikke" in page
    assert 'aria-label="Hovedmenu"' in page  # the shell's menu
    assert f'href="{reverse("home")}"' in page and "Til forsiden" in page


def test_forbidden_municipality_page_is_danish_with_a_way_back(world):
    # The case: a viewer opens a municipality from "Kommuner" (no record rights).
    came_from = "http://testserver" + reverse("municipality-list")
    url = reverse("municipality-detail", args=[world.home.code])
    response = world.client_for(world.viewer).get(url, headers={"referer": came_from})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Du har ikke adgang til denne side" in page
    assert f'href="{came_from}"' in page


def test_a_way_back_never_leads_to_another_site(world):
    url = reverse("municipality-detail", args=[world.home.code])
    response = world.client_for(world.viewer).get(url, headers={"referer": "https://evil.example/"})
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_api_keeps_json_errors(world):
    response = world.client_for(world.consultant).get("/api/findes-ikke/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Ikke fundet."}


@pytest.mark.urls("tests.crm.error_urls")
def test_a_failing_page_answers_the_danish_error_page_without_the_user(world):
    client = world.client_for(world.consultant)
    client.raise_request_exception = False
    response = client.get("/fejl/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Der opstod en fejl" in page and 'href="/"' in page
    assert world.consultant.username not in page  # rendered without the request's user


def test_server_error_page_needs_no_database_and_no_user(django_assert_num_queries):
    request = RequestFactory().get("/kontrakter/")  # no user, no session
    with django_assert_num_queries(0):
        response = bad_input.server_error(request)
    assert response.status_code == 500
    assert "Der opstod en fejl" in response.content.decode()
