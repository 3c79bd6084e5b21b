"""The merchant admin site, mounted at /merchant/."""

from django.urls import path

from payments.merchant import config_views, views

app_name = "merchant"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("switch/", views.switch_merchant, name="switch"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/export.csv", views.payment_export, name="payments-export"),
    path("payments/<int:payment_id>/", views.payment_detail, name="payment"),
    path("payments/<int:payment_id>/refund/", views.payment_refund, name="payment-refund"),
    path("kiosks/", config_views.kiosks, name="kiosks"),
    path("kiosks/<int:kiosk_id>/pair/", config_views.kiosk_pair, name="kiosk-pair"),
    path("kiosks/<int:kiosk_id>/revoke/", config_views.kiosk_revoke, name="kiosk-revoke"),
    path("api-keys/", config_views.api_keys, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", config_views.api_key_revoke, name="api-key-revoke"),
    path("webhooks/", config_views.webhook_endpoints, name="webhooks"),
    path("checkout/", config_views.checkout_settings, name="checkout-settings"),
    path("webhooks/<int:endpoint_id>/", config_views.webhook_endpoint_detail, name="webhook"),
    path(
        "webhooks/<int:endpoint_id>/disable/",
        config_views.webhook_endpoint_disable,
        name="webhook-disable",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/resend/",
        config_views.webhook_resend,
        name="webhook-resend",
    ),
]
