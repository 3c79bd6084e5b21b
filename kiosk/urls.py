"""The kiosk page and its capture API, mounted at /kiosk/."""

from django.urls import path

from kiosk import views

app_name = "kiosk"

urlpatterns = [
    path("", views.kiosk_home, name="home"),
    path("pair", views.kiosk_pair, name="pair"),
    path("unpair", views.kiosk_unpair, name="unpair"),
    path("api/payments", views.api_create_payment, name="api-create-payment"),
    path("api/payments/current", views.api_current_payment, name="api-current-payment"),
    path(
        "api/payments/<int:payment_id>/capture-session",
        views.api_open_capture,
        name="api-open-capture",
    ),
    path("api/payments/<int:payment_id>/cancel", views.api_cancel_payment, name="api-cancel"),
    path("api/capture", views.api_submit_capture, name="api-capture"),
]
