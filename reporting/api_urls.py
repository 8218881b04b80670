from django.urls import include, path

from reporting.api import router

urlpatterns = [path("api/v1/", include(router.urls))]
