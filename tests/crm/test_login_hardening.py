"""Attacks on logging in and on what a logged-in browser keeps: the lockout counts per
account however the name is spelt, roles that see person data need a second factor, weak
passwords are refused, answers are not cached, and connections come from a bounded pool."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.models import CprReveal, Membership
from crm.security import TWO_FACTOR_ROLES, do_new_recovery_codes
from crm.services import do_add_membership
from tests.conftest import PASSWORD, authenticator, current_code, make_member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def newcomer(world, role: str):
    """A user of ``role`` at Viborg's local service who has not set up an app yet."""
    user = UserFactory()
    do_add_membership(user, world.local, role)
    return user


def logged_in(user) -> Client:
    """A client past the password, and no further."""
    client = Client()
    assert login(client, user.username).status_code == 302
    return client


# --- Lockout ----------------------------------------------------------------------------


def test_case_variants_of_the_name_and_the_email_share_one_lockout_counter(world):
    user = world.viewer
    spellings = [user.username.upper(), user.username.title(), user.email, user.email.upper()]
    for name in [user.username, *spellings][: settings.AXES_FAILURE_LIMIT]:
        login(Client(), name, "wrong")

    for name in [user.username, *spellings]:
        assert login(Client(), name).status_code == 429, name
    assert login(Client(), world.consultant.username).status_code == 302


def test_four_failures_in_any_spelling_still_let_the_right_password_in(world):
    user = world.viewer
    for name in [user.username, user.username.upper(), user.email, user.email.title()]:
        login(Client(), name, "wrong")

    assert login(Client(), user.email.upper())["Location"] == reverse("home")


def test_an_unknown_name_counts_in_any_case(world):
    for name in ["ukendt", "UKENDT", "Ukendt", "uKENDT", "UKendt"]:
        login(Client(), name, "wrong")

    assert login(Client(), "ukendt", "wrong").status_code == 429


def test_user_name_is_case_insensitive_and_names_one_account(world):
    assert login(Client(), world.viewer.username.upper())["Location"] == reverse("home")
    # Another account whose user name is the viewer's e-mail address: the user name wins.
    namesake = make_member(world.local, Membership.Role.VIEWER, username=world.viewer.email)
    namesake.set_password("en helt anden adgangskode 7")
    namesake.save()

    assert login(Client(), world.viewer.email).status_code == 200
    assert login(Client(), world.viewer.email, "en helt anden adgangskode 7").status_code == 302


# --- Second factor ----------------------------------------------------------------------


def test_every_role_that_reveals_cpr_or_exports_person_data_needs_a_second_factor():
    assert set(TWO_FACTOR_ROLES) == {
        Membership.Role.CONSULTANT,
        Membership.Role.MANAGER,
        Membership.Role.TRIAGE,
    }


def test_a_cpr_revealing_role_reaches_no_page_nor_the_reveal_without_the_code(world, founder):
    client = logged_in(newcomer(world, Membership.Role.MANAGER))
    setup = reverse("two-factor-setup")
    pages = [
        reverse("home"),
        reverse("founder-detail", args=[founder.pk]),
        reverse("export-referrals", args=["csv"]),
        reverse("password_change"),
        reverse("account"),
        "/admin/",
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{setup}?next="), url
    reveal = client.post(reverse("founder-reveal-cpr", args=[founder.pk]))
    assert reveal.status_code == 302 and reveal["Location"].startswith(setup)
    assert client.get(reverse("api-me")).status_code == 403
    assert client.get(reverse("api-founder-list")).status_code == 403
    assert not CprReveal.objects.exists()
    # A manager with an app set up is asked for its code.
    other = logged_in(world.manager)
    reveal = other.post(reverse("founder-reveal-cpr", args=[founder.pk]))
    assert reveal["Location"].startswith(reverse("two-factor-verify"))
    assert not CprReveal.objects.exists()


def test_setting_up_the_app_opens_the_pages_and_the_reveal(world, founder):
    manager = newcomer(world, Membership.Role.MANAGER)
    client = logged_in(manager)
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200 and page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=manager, confirmed=False)

    wrong = client.post(reverse("two-factor-setup"), {"code": "000000", "next": "/"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # the wrong code slowed the device down
    done = client.post(reverse("two-factor-setup"), {"code": current_code(device), "next": "/"})

    assert len(done.context["codes"]) == 10
    assert client.get(reverse("home")).status_code == 200
    reveal = client.post(reverse("founder-reveal-cpr", args=[founder.pk]))
    assert reveal.status_code == 200 and CprReveal.objects.count() == 1


def test_with_an_app_the_code_is_asked_for_after_the_password(world):
    device = authenticator(world.consultant)
    client = logged_in(world.consultant)
    verify = reverse("two-factor-verify")

    assert client.get(reverse("session-list"))["Location"].startswith(f"{verify}?next=")
    # The app there cannot be replaced with the password alone.
    assert client.get(reverse("two-factor-setup"))["Location"].startswith(verify)
    assert client.post(verify, {"code": "123456"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(verify, {"code": current_code(device), "next": "/vejledninger/"})

    assert response["Location"] == "/vejledninger/"
    assert client.get(reverse("session-list")).status_code == 200


def test_a_recovery_code_works_once(world):
    authenticator(world.triage)
    code = do_new_recovery_codes(world.triage)[0]
    first, second = logged_in(world.triage), logged_in(world.triage)
    verify = reverse("two-factor-verify")

    assert first.post(verify, {"code": code.upper(), "next": "/"})["Location"] == "/"
    assert second.post(verify, {"code": code}).status_code == 400
    assert first.get(reverse("home")).status_code == 200
    assert second.get(reverse("home")).status_code == 302


def test_an_outside_address_after_the_code_is_not_followed(world):
    device = authenticator(world.consultant)
    client = logged_in(world.consultant)

    response = client.post(
        reverse("two-factor-verify"), {"code": current_code(device), "next": "https://evil.dk/"}
    )

    assert response["Location"] == reverse("home")


def test_a_viewer_needs_no_second_factor_but_may_choose_one(world):
    client = logged_in(world.viewer)
    assert client.get(reverse("home")).status_code == 200

    authenticator(world.viewer)
    later = logged_in(world.viewer)
    assert later.get(reverse("home"))["Location"].startswith(reverse("two-factor-verify"))


def test_removing_the_app_sends_a_required_role_to_set_up_a_new_one(world):
    client = world.client_for(world.consultant)
    client.post(reverse("two-factor-remove"))

    assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor-setup"))


def test_staff_need_a_second_factor_for_the_admin(world):
    world.viewer.is_staff = True
    world.viewer.save()
    client = logged_in(world.viewer)

    assert client.get("/admin/")["Location"].startswith(reverse("two-factor-setup"))


def test_the_account_pages_send_anonymous_to_login(world):
    names = ["two-factor-verify", "two-factor-setup", "two-factor-recovery-codes"]
    names += ["two-factor-remove", "token-create", "account"]
    for url in [*map(reverse, names), reverse("token-revoke", args=["abc"])]:
        assert Client().post(url)["Location"].startswith("/login/"), url
    assert Client().delete(reverse("api-token-detail", args=["abc"])).status_code == 401


# --- Passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "kort1234!",  # under 12 characters
        "Knudepunkt2026!",
        "knudepunktknudepunkt",
        "Viborgegnens Erhvervsråd 1",  # the user's operator
        "Erhvervshus Midtjylland!",  # another operator
    ],
)
def test_a_weak_password_is_refused(world, password):
    client = world.client_for(world.consultant)
    data = {"old_password": PASSWORD, "new_password1": password, "new_password2": password}

    response = client.post(reverse("password_change"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    world.consultant.refresh_from_db()
    assert world.consultant.check_password(PASSWORD)


def test_a_long_sentence_that_names_the_product_is_accepted(world):
    validate_password("Knudepunkt holder styr på vores kunder i Skive", world.consultant)
    with pytest.raises(ValidationError, match="navn"):
        validate_password("Viborgegnens Erhvervsråd 2026", world.consultant)


# --- What is kept of an answer, and connections -------------------------------------------


def test_an_authenticated_response_says_no_store(world, founder):
    client = world.client_for(world.consultant)
    for url in [reverse("home"), reverse("founder-detail", args=[founder.pk]), "/api/v1/me/"]:
        assert "no-store" in client.get(url)["Cache-Control"], url
    assert "no-store" in logged_in(world.viewer).get(reverse("home"))["Cache-Control"]
    # Before the second factor too: the redirect to the code page.
    waiting = logged_in(world.manager).get(reverse("home"))
    assert waiting.status_code == 302 and "no-store" in waiting["Cache-Control"]


def test_database_connections_come_from_a_bounded_pool():
    assert connection.pool is not None
    assert connection.settings_dict["CONN_MAX_AGE"] == 0
    assert connection.pool.max_size == settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]


def test_the_pool_size_comes_from_the_environment():
    env = dict(os.environ, DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="7", DB_POOL_TIMEOUT="3")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['pool'])"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=dict(env, DJANGO_SETTINGS_MODULE="crm.settings"),
        capture_output=True,
        text=True,
        check=True,
    )

    assert "'min_size': 2, 'max_size': 7, 'timeout': 3.0" in result.stdout
