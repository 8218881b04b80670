"""The public questionnaire behind the e-mailed link (no login) and its unsubscribe page.

The token is a secret: the pages never write it into their HTML (the form posts to the page's
own address), the browser is told to send no Referer with it (``Referrer-Policy``), and
Django's request log, which names the path of every 4xx answer, is skipped for these pages.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from contracts.surveys import services
from contracts.surveys.forms import AnswerForm
from crm.services import NotAllowed

LANGUAGES = {"da", "en"}


def language_of(request, invitation=None) -> str:
    """``?lang=en``, else the language the visitor chose on the site, else the invitation's."""
    chosen = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in LANGUAGES:
        return chosen
    return invitation.language if invitation is not None else settings.LANGUAGE_CODE


def private(response):
    # same-origin, not no-referrer: the token never leaves for another site, and the form's
    # POST keeps its Origin (under no-referrer Chromium posts "Origin: null", which Django's
    # CSRF check refuses).
    response["Referrer-Policy"] = "same-origin"
    response._has_been_logged = True  # django.request would log the path (the token) of a 4xx
    return response


def refused(request, error: services.LinkRefused):
    with translation.override(language_of(request)):
        response = render(
            request, "contracts/surveys/refused.html", {"error": str(error)}, status=error.status
        )
    return private(response)


@never_cache
def answer(request, token: str):
    """GET shows the questionnaire, POST records the answer once (``services.do_answer``)."""
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkRefused as error:
        return refused(request, error)
    with translation.override(language_of(request, invitation)):
        ask_referral = services.uptake_referral(invitation) is not None
        form = AnswerForm(request.POST or None, ask_referral=ask_referral)
        context = {"form": form, "operator": invitation.operator}
        if request.method == "POST" and form.is_valid():
            try:
                services.do_answer(token, form.answer(), user=request.user)
            except services.LinkRefused as error:
                return refused(request, error)
            except NotAllowed as error:
                raise PermissionDenied(str(error)) from error
            return private(render(request, "contracts/surveys/thanks.html", context))
        status = 400 if request.method == "POST" else 200
        response = render(request, "contracts/surveys/answer.html", context, status=status)
    return private(response)


@never_cache
def unsubscribe(request, token: str):
    """GET asks (a mail scanner that follows the link changes nothing), POST unsubscribes."""
    try:
        invitation = services.invitation_for_token(token)
        with translation.override(language_of(request, invitation)):
            done = request.method == "POST"
            if done:
                services.do_unsubscribe(token)
            context = {"operator": invitation.operator, "done": done}
            response = render(request, "contracts/surveys/unsubscribe.html", context)
    except services.LinkRefused as error:
        return refused(request, error)
    return private(response)
