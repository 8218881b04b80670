"""The CRM as an installable app (issue 18): the web app manifest and the service worker, as
a browser checks them before it offers to install the app (a name, a start URL within the
scope, standalone display, PNG icons of 192 and 512 pixels) and serves the worker."""

from urllib.parse import urljoin

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def manifest():
    response = Client().get(reverse("manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    return response.json()


def test_the_manifest_has_what_installability_needs(manifest):
    assert manifest["name"] == manifest["short_name"] == "Knudepunkt"
    assert manifest["lang"] == "da"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/mobil/"
    assert urljoin("https://x.dk/", manifest["start_url"]).startswith(
        urljoin("https://x.dk/", manifest["scope"])
    )
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")


@pytest.mark.parametrize("size,purpose", [(192, "any"), (512, "any"), (512, "maskable")])
def test_the_manifests_icons_are_pngs_of_the_size_they_claim(manifest, size, purpose):
    [icon] = [
        icon
        for icon in manifest["icons"]
        if icon["sizes"] == f"{size}x{size}" and icon["purpose"] == purpose
    ]
    assert icon["type"] == "image/png"
    name = icon["src"].removeprefix("/static/")

    with Image.open(finders.find(name)) as image:
        assert (image.format, image.size) == ("PNG", (size, size))


def test_the_start_url_is_the_phone_apps_page():
    assert reverse("offline-app") == "/mobil/"


def test_the_service_worker_is_served_from_the_root_with_its_headers():
    response = Client().get(reverse("service-worker"))

    assert reverse("service-worker") == "/sw.js"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    with open(finders.find("crm/offline/sw.js"), "rb") as source:
        assert response.content == source.read()


def test_the_service_worker_reaches_a_logged_in_user_too(world):
    response = world.client_for(world.consultant).get(reverse("service-worker"))

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_every_page_links_the_manifest_and_the_theme_colour(world):
    text = world.client_for(world.consultant).get(reverse("home")).text

    assert f'<link rel="manifest" href="{reverse("manifest")}">' in text
    assert '<meta name="theme-color" content="#0b5cad">' in text
    assert "crm/icons/apple-touch-icon" in text
