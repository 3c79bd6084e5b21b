"""The kiosk page and its capture API, mounted at /kiosk/."""

app_name = "kiosk"

urlpatterns: list = []
