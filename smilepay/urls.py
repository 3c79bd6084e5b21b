from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from smilepay import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    path("sw.js", accounts_views.service_worker, name="service_worker"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("me/", include("payments.portal_urls")),
    path("merchant/", include("payments.urls")),
    path("api/", include("payments.api_urls")),
    path("kiosk/", include("kiosk.urls")),
    path("shop/", include("payments.demo_shop.urls")),  # demo web shop (online checkout)
]
