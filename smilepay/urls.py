from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from smilepay import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    # The language switcher posts here; the chosen language is kept in a cookie.
    path("i18n/language/", accounts_views.set_language, name="set_language"),
    # The JavaScript catalog of one language (gettext() and friends for static/ scripts).
    path("i18n/js/<str:language>/", views.javascript_catalog, name="javascript-catalog"),
    path("sw.js", accounts_views.service_worker, name="service_worker"),
    # Browsers ask for these at the site root whatever the page links to.
    path("favicon.ico", views.favicon, name="favicon"),
    path("apple-touch-icon.png", views.apple_touch_icon, name="apple_touch_icon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("me/", include("payments.portal.urls")),
    path("merchant/", include("payments.merchant.urls")),
    path("api/", include("payments.api.urls")),
    path("kiosk/", include("kiosk.urls")),
]
if settings.DEMO_SHOP:  # the demo web shop (online checkout), off unless enabled
    urlpatterns.append(path("shop/", include("demo_shop.urls")))

handler400 = "smilepay.error_views.bad_request"
handler403 = "smilepay.error_views.permission_denied"
handler404 = "smilepay.error_views.page_not_found"
handler500 = "smilepay.error_views.server_error"
