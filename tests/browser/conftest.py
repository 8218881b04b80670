"""Playwright driving Debian's Chromium (/usr/bin/chromium, or $CHROMIUM)."""

import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import sync_playwright

from crm.security import requires_two_factor
from tests.conftest import ARTIFACTS, authenticator, current_code

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself (creating users) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The users are Danish: their browsers speak Danish and keep Copenhagen time, so "today" in a
# form is the server's today (Europe/Copenhagen) also between midnight and 01:00 or 02:00 UTC.
DANISH = {"locale": "da-DK", "timezone_id": "Europe/Copenhagen"}

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert executable, "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(**DANISH, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def log_in(page, live_server, username: str, password: str) -> None:
    """The password, then, where the user's role requires it, the code of an authenticator
    app (made here; its last used time step is forgotten so that a second log-in of the same
    user within 30 seconds works too)."""
    user = get_user_model().objects.get(username=username)
    device = authenticator(user) if requires_two_factor(user) else None
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
    if device is not None:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
        page.fill("#id_code", current_code(device))
        page.click("#two-factor-form button[type=submit]")
