from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

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
