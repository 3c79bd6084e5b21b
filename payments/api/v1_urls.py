"""/api/v1/ routes."""

from django.urls import path

from payments.api import views

urlpatterns = [
    path("payments", views.PaymentListCreateView.as_view(), name="payments"),
    path("payments/<int:payment_id>", views.PaymentDetailView.as_view(), name="payment"),
    path(
        "payments/<int:payment_id>/cancel",
        views.PaymentCancelView.as_view(),
        name="payment-cancel",
    ),
    path(
        "payments/<int:payment_id>/refunds",
        views.PaymentRefundView.as_view(),
        name="payment-refunds",
    ),
    path("kiosks", views.KioskListView.as_view(), name="kiosks"),
]
