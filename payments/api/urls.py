"""The merchant REST API and its schema, mounted at /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from payments.api.docs import api_docs

app_name = "api"

urlpatterns = [
    path("v1/", include("payments.api.v1_urls")),
    path(
        "schema/",
        SpectacularAPIView.as_view(urlconf="payments.api.schema_urls"),
        name="schema",
    ),
    path("docs/", api_docs, name="docs"),
]
