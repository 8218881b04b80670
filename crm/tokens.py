"""API tokens (django-rest-knox): stored as a SHA-512 digest, listed and revoked by their owner,
and bounded like a session - REST_KNOX's TOKEN_TTL idle, AUTO_REFRESH_MAX_TTL in all.

A token is made only in a logged-in, verified browser session (the account page or POST
/api/v1/tokens/ with the session cookie), never by another token: a token that could mint tokens
would outlive its own limit.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from crm.services import NotAllowed


def tokens_of(user):
    """The user's tokens that still work, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


def do_create_token(user) -> tuple[AuthToken, str]:
    """A new token for ``user``: the stored row and the token itself, shown once (only its
    digest is kept). Refused past API_TOKENS_PER_USER working tokens."""
    if tokens_of(user).count() >= settings.API_TOKENS_PER_USER:
        raise NotAllowed(
            _("Du har allerede %(count)d API-nøgler. Tilbagekald en først.")
            % {"count": settings.API_TOKENS_PER_USER}
        )
    return AuthToken.objects.create(user=user)


def do_revoke_token(user, key: str) -> None:
    """Delete the user's token whose first characters are ``key``; another user's or an
    unknown key is 404 alike."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=key).delete()
    if not deleted:
        raise Http404


def absolute_end(token: AuthToken):
    """The moment the token stops working however often it is used."""
    return token.created + settings.REST_KNOX["AUTO_REFRESH_MAX_TTL"]


# --- API -----------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    key = serializers.CharField(source="token_key", help_text="The token's first characters.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(help_text="Ends unless used before (idle limit).")
    ends = serializers.DateTimeField(source="absolute_end", help_text="Ends however used.")


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The whole token, shown this once.")


def shaped(token: AuthToken) -> dict:
    token.absolute_end = absolute_end(token)
    return TokenSerializer(token).data


@extend_schema(responses={200: TokenSerializer(many=True), 201: NewTokenSerializer}, request=None)
@api_view(["GET", "POST"])
def token_list(request):
    """GET: the caller's working tokens. POST: a new token, answered once in full; only with
    the session of a logged-in page (a token cannot make tokens)."""
    if request.method == "GET":
        return Response([shaped(token) for token in tokens_of(request.user)])
    if isinstance(request.successful_authenticator, TokenAuthentication):
        raise PermissionDenied(_("En API-nøgle kan ikke lave nye nøgler. Log ind på siden."))
    try:
        token, secret = do_create_token(request.user)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    return Response({"token": secret, **shaped(token)}, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: TokenSerializer, 204: None})
@api_view(["GET", "DELETE"])
def token_detail(request, key: str):
    """GET: one of the caller's tokens. DELETE: revoke it (the one in use too)."""
    if request.method == "GET":
        return Response(shaped(get_object_or_404(tokens_of(request.user), token_key=key)))
    do_revoke_token(request.user, key)
    return Response(status=status.HTTP_204_NO_CONTENT)
