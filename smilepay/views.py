from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

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
