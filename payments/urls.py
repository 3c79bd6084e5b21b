"""The merchant admin site, mounted at /merchant/."""

app_name = "merchant"

urlpatterns: list = []
