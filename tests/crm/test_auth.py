import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from crm.middleware import SESSION_STARTED
from tests.conftest import PASSWORD, pass_two_factor

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_with_username_or_email(world):
    assert login(Client(), world.consultant.username, PASSWORD)["Location"] == reverse("home")
    assert login(Client(), world.consultant.email.upper(), PASSWORD)["Location"] == reverse("home")


def test_wrong_password_shows_a_danish_error(world):
    response = login(Client(), world.consultant.username, "wrong")

    assert response.status_code == 200
    assert "forkert" in response.text


def test_repeated_failed_logins_lock_the_user_out_from_that_address(world):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, world.consultant.username, "wrong")

    locked = login(client, world.consultant.username, PASSWORD)

    assert locked.status_code == 429
    assert "midlertidigt låst" in locked.text
    # Another user from the same address is not locked out.
    assert login(Client(), world.manager.username, PASSWORD).status_code == 302


def test_idle_session_lasts_thirty_minutes_and_is_renewed(world):
    client = world.client_for(world.consultant)
    client.get(reverse("home"))

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60


def test_session_ends_twelve_hours_after_login(world):
    client = Client()
    login(client, world.consultant.username, PASSWORD)
    pass_two_factor(client, world.consultant)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[SESSION_STARTED] = time.time() - 12 * 3600 - 1
    session.save()

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get(reverse("home")).status_code == 302


def test_password_change(world):
    client = Client()
    login(client, world.consultant.username, PASSWORD)
    pass_two_factor(client, world.consultant)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "en ny lang adgangskode 42",
            "new_password2": "en ny lang adgangskode 42",
        },
    )

    assert response["Location"] == reverse("password_change_done")
    assert (
        login(Client(), world.consultant.username, "en ny lang adgangskode 42").status_code == 302
    )


def test_logout_ends_the_session(world):
    client = Client()
    login(client, world.consultant.username, PASSWORD)
    client.post(reverse("logout"))

    assert client.get(reverse("home")).status_code == 302
