"""Customer portal pages that show money: dashboard, history, face-use activity (/me/)."""

from django.urls import include, path

from payments.portal import push_answer_view, views, wallet

app_name = "portal"

urlpatterns = [
    # Online checkout first: it serves online requests' confirm page (face or password).
    path("", include("payments.online.urls")),
    path("", views.dashboard, name="dashboard"),
    path("wallet/", wallet.wallet, name="wallet"),
    path("payments/", views.payment_history, name="payments"),
    path("payments/<int:payment_id>/confirm/", views.confirm, name="confirm"),
    path("payments/<int:payment_id>/answer/", push_answer_view.push_answer, name="push-answer"),
    path("activity/", views.face_activity, name="activity"),
    path("activity/<int:attempt_id>/flag/", views.flag_attempt, name="flag-attempt"),
    # accounts' pages: /me/face/, /me/settings/, /me/notifications/, /me/privacy/, /me/consent/
    path("", include("accounts.portal_urls")),
]
