"""Sign-up, phone verification and the service worker. Thin: logic is in services."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services, signin_limits
from accounts.consumers import close_customer_sockets
from accounts.errors import AccountsError
from accounts.forms import (
    LimitedPasswordResetForm,
    PhoneCodeForm,
    PhoneNumberForm,
    SignInForm,
    SignUpForm,
)
from accounts.otp import VerifyOutcome
from accounts.phones import display_phone
from smilepay.ratelimit import client_ip

SERVICE_WORKER = Path(settings.BASE_DIR) / "static" / "portal" / "sw.js"


def client_meta(request: HttpRequest) -> dict:
    """IP and user agent for audit records (REMOTE_ADDR: the ASGI server resolves proxies)."""
    return {
        "ip": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:400],
    }


class SignInView(LoginView):
    """Django's sign-in; a signed-in visitor goes straight on (to a safe `next`, else
    LOGIN_REDIRECT_URL), and a `next` pointing back at this page is dropped rather than
    looping."""

    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if url.split("?")[0] == self.request.path else url

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        # The switcher's cookie is a choice made before signing in: it becomes the
        # account's language. A browser's Accept-Language only fills an empty one.
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen or not user.language:
            services.user_language_set(user_id=user.pk, language=get_language())
        return response


def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:verify_phone")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _signup_allowed(request, form):
        data = form.cleaned_data
        try:
            user = services.user_sign_up(
                email=data["email"],
                password=data["password"],
                phone=data["phone"],
                full_name=data["full_name"],
                language=get_language(),
                **client_meta(request),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            login(request, user, backend="accounts.backends.EmailOrPhoneBackend")
            messages.success(request, _("Welcome to SmilePay!"))
            return redirect("accounts:verify_phone")
    return render(request, "accounts/signup.html", {"form": form})


def _signup_allowed(request: HttpRequest, form: SignUpForm) -> bool:
    try:
        signin_limits.signup_hit(ip=client_ip(request))
    except signin_limits.RateLimited:
        form.add_error(None, _("Too many sign-ups from your network. Try again in an hour."))
        return False
    return True


@never_cache
@login_required
def verify_phone(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.phone_code_verify(
            user_id=user.pk, code=form.cleaned_data["code"], **client_meta(request)
        )
        if outcome == VerifyOutcome.VERIFIED:
            messages.success(request, _("Your phone number is verified."))
            return redirect(next_url or reverse("portal:consent"))
        form.add_error(
            "code",
            {
                VerifyOutcome.WRONG: _("That code is not right. Check the message and try again."),
                VerifyOutcome.EXPIRED: _("That code has expired. Ask for a new one."),
                VerifyOutcome.LOCKED: _("Too many wrong tries. Ask for a new code."),
                VerifyOutcome.TAKEN: _(
                    "Another account has verified this number. Enter your own number below."
                ),
            }[outcome],
        )
    return _verify_page(request, form=form, next_url=next_url)


def _verify_page(
    request: HttpRequest,
    *,
    form: PhoneCodeForm | None = None,
    number_form: PhoneNumberForm | None = None,
    next_url: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/verify_phone.html",
        {
            "form": form or PhoneCodeForm(),
            # A refused new number stays typed, its error under it, its section open.
            "number_form": number_form or PhoneNumberForm(),
            "verified": request.user.phone_verified_at is not None,
            "next": next_url,
        },
        status=status,
    )


@login_required
@require_POST
def change_phone(request: HttpRequest) -> HttpResponse:
    """A typo at sign-up, or a number another account verified first: the code goes to
    the number typed here (only while the account's number is not verified)."""
    form = PhoneNumberForm(request.POST)
    if not form.is_valid():
        return _verify_page(request, number_form=form, status=400)
    try:
        services.phone_number_change(
            user_id=request.user.pk, phone=form.cleaned_data["phone"], **client_meta(request)
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    except AccountsError as exc:  # already verified, or a code sent too recently
        messages.error(request, exc.message)
    else:
        # The page itself says where the code went: the message does not repeat it.
        messages.success(request, _("Your number is changed."))
    return redirect("accounts:verify_phone")


@login_required
@require_POST
def resend_code(request: HttpRequest) -> HttpResponse:
    try:
        services.phone_code_send(user_id=request.user.pk, **client_meta(request))
    except AccountsError as exc:  # CodeRequestRefused among them
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("We sent a new code to %(phone)s.")
            % {"phone": display_phone(request.user.phone_e164)},
        )
    return redirect("accounts:verify_phone")


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's switcher (the cookie, the safe redirect); a signed-in person's choice is
    also kept on their account, for the texts that reach them away from any page."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.user_language_set(
            user_id=request.user.pk, language=request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
        )
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site root so that its scope covers the whole portal."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view. A new password unlocks the account's sign-in (the lockout message
    points here), and ends the live feed of every page still open on the old one (their
    sessions are no longer valid)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user_id = self.user.pk
        signin_limits.account_unlocked(user_id=user_id)
        transaction.on_commit(lambda: close_customer_sockets(user_id=user_id), robust=True)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view with the form that counts requests (accounts/signin_limits.py).

    The mailed link is built on SITE_URL, not on the request's Host header: with more than
    one allowed host (or a careless `ALLOWED_HOSTS=*`), a request sent with another Host
    would otherwise mail the account holder a link to a host the sender chose."""

    form_class = LimitedPasswordResetForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        # Django's form fills domain and protocol from the request, then takes these over.
        site = urlsplit(settings.SITE_URL)
        self.extra_email_context = {"domain": site.netloc, "protocol": site.scheme}
        return super().form_valid(form)
