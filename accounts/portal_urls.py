"""Portal pages owned by accounts, included by payments/portal/urls.py under /me/.

No app_name: the names join the including "portal" namespace (portal:face, ...).
"""

from django.urls import path

from accounts import portal_views as views

urlpatterns = [
    path("consent/", views.consent, name="consent"),
    path("consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("face/", views.face, name="face"),
    path("face/enroll/", views.enroll, name="enroll"),
    path("face/enroll/start/", views.enroll_start, name="enroll_start"),
    path("face/enroll/check/", views.enroll_check, name="enroll_check"),
    path("face/enroll/capture/", views.enroll_capture, name="enroll_capture"),
    path("face/enroll/self-check/", views.enroll_self_check, name="enroll_self_check"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("notifications/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("notifications/test/", views.push_test, name="push_test"),
    path("settings/", views.face_pay_settings, name="settings"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/delete-face-data/", views.delete_face_data, name="delete_face_data"),
    path("privacy/delete-account/", views.delete_account, name="delete_account"),
]
