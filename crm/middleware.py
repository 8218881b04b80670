import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver

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
