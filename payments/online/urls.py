"""Online checkout pages, included by payments/portal/urls.py under /me/ (namespace portal).

`confirm` takes over /me/payments/<id>/confirm/ (the push notification's link) and hands
kiosk payments back to payments.portal.views.confirm."""

from django.urls import path

from payments.online import views

urlpatterns = [
    path("payments/<int:payment_id>/confirm/", views.confirm, name="confirm"),
    path(
        "payments/<int:payment_id>/confirm/face/start/", views.face_start, name="online-face-start"
    ),
    path("payments/<int:payment_id>/confirm/face/", views.face, name="online-face"),
    path("payments/<int:payment_id>/confirm/password/", views.password, name="online-password"),
    path("payments/<int:payment_id>/confirm/decline/", views.decline, name="online-decline"),
]
