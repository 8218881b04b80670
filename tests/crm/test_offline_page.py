"""The phone app's page, /mobil/ (issue 18): for users with record rights; the page carries
the words and rules of the app, never a record (those come from the API's bundle)."""

import json

import pytest
from django.urls import reverse

from tests.conftest import CPR

pytestmark = pytest.mark.django_db


def config_of(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="offline-config" type="application/json">')
    return json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])


def test_the_app_page_answers_those_with_record_rights_only(world):
    url = reverse("offline-app")
    assert world.client_for(world.consultant).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 200  # their own data
    assert world.client_for(world.viewer).get(url).status_code == 403
    anonymous = world.client_for(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_the_app_page_holds_the_rules_and_words_but_no_records(world, company, founder):
    response = world.client_for(world.consultant).get(reverse("offline-app"))
    config = config_of(response)
    assert config["user"] == world.consultant.pk
    assert config["operators"] == [
        {"id": world.local.pk, "name": world.local.name, "tier": "local"}
    ]
    assert config["rules"]["messages"]["content"] == "En vejledning skal have et hovedindhold."
    assert config["urls"]["bundle"] == reverse("api-offline")
    page = response.content.decode()
    assert company.name not in page and founder.name not in page and CPR[:6] not in page
    assert 'rel="manifest"' in page


def test_the_menu_leads_consultants_to_the_app(world):
    response = world.client_for(world.consultant).get(reverse("home"))
    assert reverse("offline-app") in response.content.decode()
