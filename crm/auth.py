"""Logging in: which account a login name means, for the password check and the lockout alike."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def account_for(login: str):
    """The one account ``login`` names: the user name in any case, else the e-mail address in
    any case when exactly one account has it. ``None`` when it names no account or several
    (two accounts spelt alike but for case, or sharing an e-mail address)."""
    users = get_user_model()._default_manager
    by_name = list(users.filter(username__iexact=login)[:2])
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        return next((user for user in by_name if user.username == login), None)
    by_email = list(users.filter(email__iexact=login)[:2])
    return by_email[0] if len(by_email) == 1 else None


def lockout_name(request, credentials) -> str | None:
    """What django-axes counts failed logins against (AXES_USERNAME_CALLABLE): the account's
    own user name, however the login name was typed - in another case, or as the e-mail
    address - so every spelling of one account shares one counter. A name that is no account
    counts in lower case."""
    login = (credentials or {}).get("username") or request.POST.get("username")
    if not login:
        return None
    login = login.strip()
    user = account_for(login)
    return user.get_username() if user is not None else login.casefold()


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the user name or the e-mail address, both case-insensitive; the password is
    checked against the one account ``account_for`` names, the account the lockout counts."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = account_for(username.strip())
        if user is None:
            get_user_model()().set_password(password)  # as long as a wrong password takes
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
