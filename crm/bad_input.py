"""Bad input answers 4xx with a message a person can read, never a server error.

Two places that see every request before any view: a NUL character anywhere in the address or
the form data is refused here (PostgreSQL cannot store or compare it in text, so every query
that took it would fail with a 500), and an address that names no route answers JSON under
/api/ like the API's own 404s. Malformed ids never reach a view: the API router
(``crm.routers``) and the page routes take digits only."""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import NotFound

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
    API client reads one shape for "no such route" and "no such row"; pages as Django does."""
    if is_api(request):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
