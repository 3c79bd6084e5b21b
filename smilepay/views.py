import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.test import RequestFactory
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from smilepay.catalogs import project_apps
from smilepay.navigation import home_of


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """After sign-in: the merchant site for staff, the portal for customers."""
    return redirect(home_of(request.user))


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the web process and its database connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def _static_file(name: str, content_type: str) -> HttpResponse:
    return HttpResponse(
        (Path(settings.BASE_DIR) / "static" / name).read_bytes(), content_type=content_type
    )


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    return _static_file("favicon.ico", "image/x-icon")


@require_GET
@cache_control(max_age=86400, public=True)
def apple_touch_icon(request: HttpRequest) -> HttpResponse:
    return _static_file("apple-touch-icon.png", "image/png")


@cache
def _javascript_catalog(language: str) -> tuple[bytes, str]:
    """The catalog script of one language and its ETag. Django loads catalogs once per
    process, so the script cannot change before a restart either."""
    view = JavaScriptCatalog.as_view(packages=[app.name for app in project_apps()])
    with translation.override(language):
        body = view(RequestFactory().get("/")).content
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@require_GET
def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """gettext(), ngettext(), interpolate() for the scripts under static/, in `language`
    (in the URL, so that a browser never keeps one language's catalog for another)."""
    if language not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    body, etag = _javascript_catalog(language)
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        body, content_type="text/javascript; charset=utf-8"
    )
    response["ETag"] = etag
    # An hour, then a cheap revalidation (304): a deployment's new strings show soon.
    patch_cache_control(response, public=True, max_age=3600)
    return response
