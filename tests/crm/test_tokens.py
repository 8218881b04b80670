"""API tokens: stored as a digest, listed and revoked by their owner, ended by idle time and
by an absolute limit like a session, and made only in a verified browser session."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from crm.tokens import do_create_token
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def with_token(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_only_a_digest_of_the_token_is_stored(world):
    row, token = do_create_token(world.consultant)

    stored = AuthToken.objects.filter(pk=row.pk).values().get()
    assert token not in [str(value) for value in stored.values()]
    assert stored["token_key"] == token[:15]
    assert with_token(token).get(reverse("api-me")).status_code == 200


def test_the_owner_makes_lists_and_revokes_a_token_which_then_gets_401(world):
    made = world.client_for(world.consultant).post(reverse("api-token-list"))
    assert made.status_code == 201
    token, key = made.json()["token"], made.json()["key"]
    client = with_token(token)

    listed = client.get(reverse("api-token-list")).json()
    assert [row["key"] for row in listed] == [key]
    assert client.get(reverse("api-token-detail", args=[key])).json()["key"] == key
    assert client.delete(reverse("api-token-detail", args=[key])).status_code == 204
    assert client.get(reverse("api-me")).status_code == 401
    assert with_token(token).get(reverse("api-company-list")).status_code == 401


def test_another_users_token_is_not_found_and_keeps_working(world):
    row, token = do_create_token(world.consultant)
    other = world.client_for(world.outsider)

    assert other.delete(reverse("api-token-detail", args=[row.token_key])).status_code == 404
    assert other.get(reverse("api-token-detail", args=[row.token_key])).status_code == 404
    assert other.get(reverse("api-token-list")).json() == []
    assert with_token(token).get(reverse("api-me")).status_code == 200


def test_an_expired_token_gets_401(world):
    row, token = do_create_token(world.consultant)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - datetime.timedelta(1))

    assert with_token(token).get(reverse("api-me")).status_code == 401
    assert not AuthToken.objects.filter(pk=row.pk).exists()


def test_use_keeps_a_token_alive_but_never_past_its_absolute_limit(world):
    row, token = do_create_token(world.consultant)
    limit = settings.REST_KNOX["AUTO_REFRESH_MAX_TTL"]
    # Used all day long: made almost the limit ago, its idle time renewed a minute ago.
    created = timezone.now() - limit + datetime.timedelta(minutes=5)
    renewed = timezone.now() + datetime.timedelta(minutes=1)
    AuthToken.objects.filter(pk=row.pk).update(created=created, expiry=renewed)

    assert with_token(token).get(reverse("api-me")).status_code == 200
    assert AuthToken.objects.get(pk=row.pk).expiry == created + limit
    # Five minutes on, the token has reached its limit however much it was used.
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - datetime.timedelta(0, 1))
    assert with_token(token).get(reverse("api-me")).status_code == 401


def test_a_new_token_ends_after_the_idle_time(world):
    row, _ = do_create_token(world.consultant)

    idle = row.expiry - timezone.now()
    assert settings.REST_KNOX["TOKEN_TTL"] - idle < datetime.timedelta(minutes=1)
    assert settings.REST_KNOX["TOKEN_TTL"] <= settings.SESSION_ABSOLUTE_LIMIT


def test_a_token_cannot_make_tokens(world):
    _, token = do_create_token(world.consultant)

    assert with_token(token).post(reverse("api-token-list")).status_code == 403
    assert AuthToken.objects.count() == 1


def test_a_session_without_the_second_factor_cannot_make_tokens(world):
    client = Client()
    client.post(reverse("login"), {"username": world.manager.username, "password": PASSWORD})

    assert client.post(reverse("api-token-list")).status_code == 403
    assert not AuthToken.objects.exists()


def test_anonymous_gets_401(world):
    assert Client().get(reverse("api-token-list")).status_code == 401
    assert with_token("0" * 64).get(reverse("api-token-list")).status_code == 401


def test_tokens_per_user_are_bounded(world, settings):
    settings.API_TOKENS_PER_USER = 2
    client = world.client_for(world.consultant)
    assert client.post(reverse("api-token-list")).status_code == 201
    assert client.post(reverse("api-token-list")).status_code == 201

    assert client.post(reverse("api-token-list")).status_code == 403


def test_the_account_page_makes_shows_once_and_revokes_tokens(world):
    client = world.client_for(world.consultant)

    assert client.post(reverse("token-create"))["Location"] == reverse("account")
    shown = client.get(reverse("account"))
    token = shown.context["new_token"]
    assert token in shown.text
    row = AuthToken.objects.get(user=world.consultant)
    again = client.get(reverse("account"))
    assert row.token_key in again.text and token not in again.text

    outsider = world.client_for(world.outsider)
    assert outsider.post(reverse("token-revoke", args=[row.token_key])).status_code == 404
    assert client.post(reverse("token-revoke", args=[row.token_key])).status_code == 302
    assert with_token(token).get(reverse("api-me")).status_code == 401
