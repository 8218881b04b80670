"""Bad input answers 4xx with a message a person can read, never a server error.

Two places that see every request before any view: a NUL character anywhere in the address or
the form data is refused here (PostgreSQL cannot store or compare it in text, so every query
that took it would fail with a 500), and an address that names no route answers JSON under
/api/ like the API's own 404s. Malformed ids never reach a view: the API router
(``crm.routers``) and the page routes take digits only."""

from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from rest_framework.exceptions import NotFound, PermissionDenied

NUL = "\x00"


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def has_nul(data) -> bool:
    """Whether a QueryDict holds NUL in any key or value."""
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


class RefuseNulMiddleware:
    """400 for a NUL character in the path, the query string or a POSTed form, before any
    view, form or filter looks at it: one rule for pages and API alike. JSON bodies are left
    to the serializers, whose text fields refuse NUL themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or has_nul(request.GET) or has_nul(request.POST):
            return self.refuse(request)
        return self.get_response(request)

    def refuse(self, request):
        message = _(
            "Forespørgslen indeholder et NUL-tegn (\\x00), som ikke kan søges efter eller "
            "gemmes. Fjern det, og prøv igen."
        )
        if is_api(request):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def not_found(request, exception):
    """handler404: under /api/ the same JSON as DRF's own 404 (``{"detail": ...}``), so an
    API client reads one shape for "no such route" and "no such row"; pages in Danish inside
    the shell, with a way back."""
    if is_api(request):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return render(request, "404.html", {"back": way_back(request)}, status=404)


def forbidden(request, exception):
    """handler403: as ``not_found``, DRF's shape under /api/ and the shell for pages."""
    if is_api(request):
        return JsonResponse({"detail": str(PermissionDenied.default_detail)}, status=403)
    return render(request, "403.html", {"back": way_back(request)}, status=403)


@requires_csrf_token
def server_error(request):
    """handler500: rendered without the request's context (no user, no database, no menu),
    since any of those may be what failed."""
    if is_api(request):
        return JsonResponse({"detail": _("Der opstod en fejl på serveren.")}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())


def way_back(request) -> str | None:
    """The page the user came from, when it is one of ours."""
    referer = request.META.get("HTTP_REFERER", "")
    allowed = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if allowed and referer != request.build_absolute_uri() else None
