"""The merchant REST API and its schema, mounted at /api/."""

from django.urls import include, path

from payments.api.docs import EnglishSchemaView, api_docs

app_name = "api"

urlpatterns = [
    path("v1/", include("payments.api.v1_urls")),
    path(
        "schema/",
        EnglishSchemaView.as_view(urlconf="payments.api.schema_urls"),
        name="schema",
    ),
    path("docs/", api_docs, name="docs"),
]
