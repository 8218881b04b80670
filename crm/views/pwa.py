"""The CRM as an app on the phone's home screen (issue 18): the web app manifest and the
service worker. Both are open without a login: a browser fetches the manifest without the
session cookie, and the service worker holds no data of its own (the phone app's page,
crm.views.offline, and the API do)."""

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOUR = "#0b5cad"  # --accent in css/knudepunkt.css
BACKGROUND_COLOUR = "#f5f7fa"  # --bg
ICONS = [
    ("crm/icons/icon-192.png", "192x192", "any"),
    ("crm/icons/icon-512.png", "512x512", "any"),
    ("crm/icons/icon-maskable-512.png", "512x512", "maskable"),
]
SERVICE_WORKER = "crm/offline/sw.js"  # the phone app's, found like any static file
START_URL = "/mobil/"  # the phone app's page (crm.views.offline, "offline-app")


def manifest_data() -> dict:
    return {
        "name": "Knudepunkt",
        "short_name": "Knudepunkt",
        "description": _("Log vejledninger og opfølgninger, også uden forbindelse."),
        "lang": "da",
        "dir": "ltr",
        "id": START_URL,
        "start_url": START_URL,
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }


@require_GET
def manifest(request):
    response = JsonResponse(manifest_data(), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request):
    """The service worker from the site's root, so that its scope is the whole site; read
    through the staticfiles finders (the app's folder in development, STATIC_ROOT after
    collectstatic)."""
    response = HttpResponse(worker_source(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def worker_source() -> bytes:
    path = finders.find(SERVICE_WORKER)
    if path is not None:
        with open(path, "rb") as file:
            return file.read()
    if staticfiles_storage.exists(SERVICE_WORKER):
        with staticfiles_storage.open(SERVICE_WORKER) as file:
            return file.read()
    raise Http404
