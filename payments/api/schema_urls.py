"""The URL tree the OpenAPI schema describes: the merchant API only, at its real prefix."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("payments.api.v1_urls"))]
