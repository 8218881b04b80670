"""The project's routes and error handlers (``crm.urls``) with one page that fails."""

from django.urls import path

from crm.urls import handler403, handler404, handler500
from crm.urls import urlpatterns as project_urls

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def fails(request):
    raise RuntimeError("a bug")


urlpatterns = [path("fejl/", fails), *project_urls]
