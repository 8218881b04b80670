import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from crm.security import has_two_factor, requires_two_factor

SESSION_STARTED = "knudepunkt_login_at"


@receiver(user_logged_in)
def remember_login_time(sender, request, user, **kwargs):
    request.session[SESSION_STARTED] = time.time()


class AbsoluteSessionLimitMiddleware:
    """End a session SESSION_ABSOLUTE_LIMIT after login, however active it has been.

    The idle limit is SESSION_COOKIE_AGE, renewed on each request (SESSION_SAVE_EVERY_REQUEST).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.SESSION_ABSOLUTE_LIMIT.total_seconds()

    def __call__(self, request):
        started = request.session.get(SESSION_STARTED) if request.user.is_authenticated else None
        if started is not None and time.time() - started > self.limit:
            logout(request)
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """After the password, a user who must use a second factor (``crm.security``) reaches
    only the code pages, logout and the language switch until the session is verified with
    the authenticator app or a recovery code: pages redirect there, session calls to the API
    answer 403. API tokens are made in a verified session (crm.tokens)."""

    OPEN = {"two-factor-verify", "two-factor-setup", "logout", "set_language"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not self.is_open(request)
            and requires_two_factor(user)
        ):
            return self.refuse(request)
        return self.get_response(request)

    def is_open(self, request) -> bool:
        try:
            return resolve(request.path_info).url_name in self.OPEN
        except Resolver404:
            return False

    def refuse(self, request):
        if request.path_info.startswith("/api/"):
            detail = _("Log ind med totrinslogin på siden først.")
            return JsonResponse({"detail": detail}, status=403)
        target = "two-factor-verify" if has_two_factor(request.user) else "two-factor-setup"
        return redirect_to_login(request.get_full_path(), reverse(target))


class NoStoreMiddleware:
    """Every answer to a logged-in user or an API token says Cache-Control: no-store (and
    Django's other never-cache headers): pages and API answers hold person data, which no
    browser history, shared computer or proxy should keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:  # DRF sets the token's user here too
            add_never_cache_headers(response)
        return response
