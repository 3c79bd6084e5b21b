"""The merchant REST API and its schema, mounted at /api/."""

app_name = "api"

urlpatterns: list = []
