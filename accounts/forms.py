from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.functional import Promise
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import signin_limits
from accounts.language import in_language_of
from accounts.phones import normalize_phone
from smilepay.amount_field import AmountField
from smilepay.ratelimit import client_ip


def signin_locked_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-ins for this account or from your network. "
        "Wait %(minutes)d minute and try again, or reset your password.",
        "Too many failed sign-ins for this account or from your network. "
        "Wait %(minutes)d minutes and try again, or reset your password.",
        minutes,
    ) % {"minutes": minutes}


def password_locked_message(minutes: int) -> str:
    return ngettext(
        "Too many wrong passwords for this account or from your network. "
        "Wait %(minutes)d minute and try again.",
        "Too many wrong passwords for this account or from your network. "
        "Wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


RESET_LIMITED = _(
    "Too many password reset requests. Check your mailbox (and spam folder) for the "
    "links already sent, or try again in an hour."
)


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email or phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    # Django's own names the model's field ("email"): this form takes a phone number too.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "This email or phone number and password do not match an account. The password "
            "is case-sensitive."
        ),
    }

    def clean(self) -> dict:
        # Before the password is even checked: a locked account stays locked for the
        # right password too, and says so plainly instead of "wrong password".
        try:
            signin_limits.signin_check(
                identifier=self.cleaned_data.get("username") or "",
                ip=client_ip(self.request),
            )
        except signin_limits.RateLimited as exc:
            raise forms.ValidationError(
                signin_locked_message(exc.retry_after_minutes), code="rate_limited"
            ) from exc
        return super().clean()


class LimitedPasswordResetForm(PasswordResetForm):
    """Counts every request (per address typed and per client) before any mail goes out."""

    # Our words, not Django's ("Courriel" in its French, "e-mail" everywhere else here).
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, request=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict:
        cleaned = super().clean()
        if "email" in cleaned:
            try:
                signin_limits.password_reset_hit(email=cleaned["email"], ip=client_ip(self.request))
            except signin_limits.RateLimited as exc:
                raise forms.ValidationError(RESET_LIMITED, code="rate_limited") from exc
        return cleaned

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        """Written in the account holder's language; the page's when they never chose."""
        user = context.get("user")
        with in_language_of(user_id=getattr(user, "pk", None), default=get_language()):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


def _phone_field() -> forms.CharField:
    return forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        help_text=_(
            "We text you a code to check it. The last four digits can narrow a kiosk search."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = _phone_field()
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def clean_password(self) -> str:
        """Checked here too (the sign-up service checks again), so that a weak password is
        said together with the other fields' mistakes, not on the next try."""
        password = self.cleaned_data["password"]
        someone = get_user_model()(
            email=self.cleaned_data.get("email", ""),
            full_name=self.cleaned_data.get("full_name", ""),
        )
        password_validation.validate_password(password, user=someone)
        return password


class PhoneNumberForm(forms.Form):
    """Another number, typed on the verification page."""

    phone = _phone_field()

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class ConsentForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(required=True, initial=False)


def _amount(label: str | Promise, help_text: str | Promise) -> AmountField:
    return AmountField(label=label, required=False, help_text=help_text)


class FacePaySettingsForm(forms.Form):
    paused = forms.BooleanField(
        label=_("Pause face pay"), required=False, help_text=_("No kiosk will recognise you.")
    )
    always_require_phone_digits = forms.BooleanField(
        label=_("Always ask me for the last four digits of my phone"),
        required=False,
        help_text=_("A kiosk then searches only among customers with those digits."),
    )
    per_payment_limit = _amount(_("Limit per face payment"), _("Leave empty for no limit."))
    daily_limit = _amount(_("Daily limit for face payments"), _("Leave empty for no limit."))
    auto_approve_below = _amount(
        _("Approve automatically below"),
        _(
            "0 means you confirm every payment on your phone (recommended). Even below this "
            "amount, your phone is asked whenever the kiosk searched among many customers, "
            "for example when you did not type your phone digits."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("auto_approve_below") is None:
            data["auto_approve_below"] = 0
        below, limit = data.get("auto_approve_below"), data.get("per_payment_limit")
        if below and limit is not None and below > limit:
            self.add_error(
                "auto_approve_below",
                _("This is above your limit per face payment: lower it, or raise the limit."),
            )
        return data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."), required=True, initial=False
    )
