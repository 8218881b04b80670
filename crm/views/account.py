"""The user's own account: the second factor after the password (set up, enter, recovery
codes) and API tokens."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from crm import security, tokens
from crm.services import NotAllowed

NEW_TOKEN = "knudepunkt_new_token"  # noqa: S105 - the session key it waits under


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Kode"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def next_url(request) -> str:
    """Where to go once the code is in: the page asked for, if it is one of ours."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def verified_by(request, device) -> None:
    """The session counts as verified from now on, under a new key (as after the password)."""
    request.session.cycle_key()
    otp_login(request, device)


@login_required
def account(request):
    user = request.user
    context = {
        "has_two_factor": security.has_two_factor(user),
        "must_use": security.must_use_two_factor(user),
        "tokens": [(token, tokens.absolute_end(token)) for token in tokens.tokens_of(user)],
        "new_token": request.session.pop(NEW_TOKEN, ""),
    }
    return render(request, "account/account.html", context)


@login_required
def two_factor_verify(request):
    """The code after the password: from the authenticator app, or a recovery code."""
    if not security.has_two_factor(request.user):
        return redirect_to_login(next_url(request), reverse("two-factor-setup"))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = security.check_second_factor(request.user, form.cleaned_data["code"])
        if device is not None:
            verified_by(request, device)
            return redirect(next_url(request))
        form.add_error("code", _("Koden passer ikke, eller den er brugt. Prøv igen."))
    status = 400 if form.errors else 200
    context = {"form": form, "next": next_url(request)}
    return render(request, "account/two_factor_verify.html", context, status=status)


@login_required
def two_factor_setup(request):
    """Set up an authenticator app (or replace it, from a verified session): scan the code,
    type the first number it shows, and receive recovery codes."""
    user = request.user
    if security.has_two_factor(user) and not user.is_verified():
        # Only the app already there may add another.
        return redirect_to_login(next_url(request), reverse("two-factor-verify"))
    device = security.pending_totp(user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            codes = security.do_confirm_totp(user, device, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            verified_by(request, device)
            context = {"codes": codes, "next": next_url(request)}
            return render(request, "account/recovery_codes.html", context)
    context = {
        "form": form,
        "next": next_url(request),
        "qr": security.totp_qr(device),
        "secret": security.totp_secret(device),
        "must_use": security.must_use_two_factor(user),
    }
    return render(
        request, "account/two_factor_setup.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def recovery_codes(request):
    """New recovery codes in place of the old, shown once."""
    if not security.has_two_factor(request.user):
        return redirect("two-factor-setup")
    codes = security.do_new_recovery_codes(request.user)
    return render(request, "account/recovery_codes.html", {"codes": codes, "next": ""})


@login_required
@require_POST
def two_factor_remove(request):
    """Remove the app and the recovery codes. Whoever must use a second factor is sent to set
    up a new app at once (this is how a lost phone is replaced)."""
    security.do_remove_two_factor(request.user)
    messages.success(request, _("Totrinslogin er fjernet."))
    return redirect("account")


@login_required
@require_POST
def token_create(request):
    try:
        _token, secret = tokens.do_create_token(request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
    else:
        request.session[NEW_TOKEN] = secret  # shown once, on the account page
    return redirect("account")


@login_required
@require_POST
def token_revoke(request, key: str):
    tokens.do_revoke_token(request.user, key)
    messages.success(request, _("API-nøglen er tilbagekaldt."))
    return redirect("account")


class LogoutView(auth_views.LogoutView):
    """Django's logout, and the phone app's offline copy goes with the session: the browser
    clears this site's caches and storage (IndexedDB, the service worker's cache)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
