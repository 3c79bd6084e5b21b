"""Writes: sign-up, consent, face pay state, privacy controls.

Every state change runs in `transaction.atomic()`, re-reads the row under
`select_for_update()`, returns early when nothing would change, saves with
`update_fields` and records an audit event with a dotted name. Side effects (SMS, push,
websocket events) are scheduled with `transaction.on_commit`.

Phone codes live in `accounts.otp`, Web Push and `notify_customer` in `accounts.push`;
they are re-exported here so callers import services from one place. Enrollment is not:
its steps are called from `accounts.enrollment` directly (only the portal's enrollment
page calls them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.consent import current_consent
from accounts.errors import AccountsError, PhoneNotVerified
from accounts.language import supported_language, user_language_set
from accounts.models import (
    AuditEvent,
    ConsentRecord,
    FaceDataKey,
    FaceProfile,
    FaceRegistry,
    FaceTemplate,
    PhoneCode,
    PushSubscription,
    User,
)
from accounts.otp import VerifyOutcome, phone_code_send, phone_code_verify
from accounts.phones import normalize_phone
from accounts.push import PushMessage, notify_customer, push_subscribe, push_unsubscribe
from accounts.selectors import PAUSED_BY_CUSTOMER, customer_face_pay_status
from accounts.signals import account_deleted

__all__ = [
    "PushMessage",
    "VerifyOutcome",
    "account_delete",
    "consent_grant",
    "consent_withdraw",
    "customer_settings_update",
    "face_data_delete",
    "face_pay_pause",
    "face_pay_resume",
    "face_pay_settings_save",
    "face_templates_bump",
    "notify_customer",
    "phone_code_send",
    "phone_code_verify",
    "phone_number_change",
    "push_subscribe",
    "push_unsubscribe",
    "user_language_set",
    "user_sign_up",
]


def face_templates_bump() -> None:
    """Raise the registry version (inside the caller's transaction)."""
    updated = FaceRegistry.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        try:
            with transaction.atomic():
                FaceRegistry.objects.create(pk=1, version=1)
        except IntegrityError:
            FaceRegistry.objects.filter(pk=1).update(version=F("version") + 1)


def _locked_profile(user_id: int) -> FaceProfile:
    FaceProfile.objects.get_or_create(user_id=user_id)
    return FaceProfile.objects.select_for_update().get(user_id=user_id)


def face_status_announce(*, user_id: int) -> None:
    """After commit, tell the customer's open portal pages that face pay state changed."""

    def send() -> None:
        status = customer_face_pay_status(user_id=user_id)
        notify_customer(
            user_id=user_id,
            event={
                "type": "face.status",
                "enabled": status.enabled,
                "paused": status.paused,
                "template_count": status.template_count,
                "consent_current": status.consent_current,
            },
        )

    transaction.on_commit(send, robust=True)


# --- sign-up ----------------------------------------------------------------------------


def user_sign_up(
    *,
    email: str,
    password: str,
    phone: str,
    full_name: str = "",
    language: str = "",
    ip: str | None = None,
    user_agent: str = "",
    send_code: bool = True,
) -> User:
    """Create a customer (email, password, phone) and text them a verification code, in
    `language` (the page's) from then on.

    Raises ValidationError for a bad email, phone or password, or one already in use.
    """
    phone_e164 = normalize_phone(phone)
    email = User.objects.normalize_email(email).lower()
    errors = {}
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = _("An account with this email already exists.")
    # Only a verified number is taken: one typed at a sign-up that never verified it
    # (someone else's, or a typo) must not keep its owner out. Verifying settles it.
    if User.objects.phone_taken(phone_e164):
        errors["phone"] = _("An account with this phone number already exists.")
    candidate = User(email=email, full_name=full_name, phone_e164=phone_e164)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            user = User.objects.create_user(
                email,
                password,
                full_name=full_name,
                phone_e164=phone_e164,
                language=supported_language(language),
            )
        except IntegrityError as exc:  # a concurrent sign-up took the email or phone
            raise ValidationError(_("An account with these details already exists.")) from exc
        FaceProfile.objects.create(user=user)
        audit("account.created", user_id=user.pk, ip=ip, user_agent=user_agent)
    if send_code:
        phone_code_send(user_id=user.pk, ip=ip, user_agent=user_agent)
    return user


# --- consent ----------------------------------------------------------------------------


def consent_grant(
    *, user_id: int, version: str, ip: str | None = None, user_agent: str = ""
) -> ConsentRecord | None:
    """Record the customer's consent to the text `version` they were shown.

    Only the version in force can be granted; granting it again is a no-op (None).
    """
    text = current_consent()
    if version != text.version:
        raise AccountsError(
            _("The consent text has changed since the page was opened. Please read it again."),
            code="stale_consent",
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.phone_verified_at is None:
            raise PhoneNotVerified(_("Verify your phone number first."))
        profile = _locked_profile(user_id)
        if profile.consent_version == text.version:
            return None
        now = timezone.now()
        record = ConsentRecord.objects.create(
            user_id=user_id,
            action=ConsentRecord.Action.GRANTED,
            version=text.version,
            text_sha256=text.sha256,
            ip_address=ip or None,
            user_agent=(user_agent or "")[:400],
            created_at=now,
        )
        profile.consent_version = text.version
        profile.consent_granted_at = now
        profile.save(update_fields=["consent_version", "consent_granted_at", "updated_at"])
        if profile.face_pay_enabled:  # re-consent to a new version revives face pay
            face_templates_bump()
        audit(
            "consent.granted",
            user_id=user_id,
            data={"version": text.version, "text_sha256": text.sha256},
            ip=ip,
            user_agent=user_agent,
        )
        face_status_announce(user_id=user_id)
    return record


def consent_withdraw(
    *, user_id: int, ip: str | None = None, user_agent: str = ""
) -> ConsentRecord | None:
    """Withdraw biometric consent: face pay off at once, templates destroyed.

    None when there was no consent to withdraw (templates are still destroyed if any).
    """
    with transaction.atomic():
        profile = _locked_profile(user_id)
        record = None
        if profile.consent_version:
            record = ConsentRecord.objects.create(
                user_id=user_id,
                action=ConsentRecord.Action.WITHDRAWN,
                version=profile.consent_version,
                text_sha256=current_consent().sha256
                if profile.consent_version == settings.BIOMETRIC_CONSENT_VERSION
                else "",
                ip_address=ip or None,
                user_agent=(user_agent or "")[:400],
            )
            audit(
                "consent.withdrawn",
                user_id=user_id,
                data={"version": profile.consent_version},
                ip=ip,
                user_agent=user_agent,
            )
            profile.consent_version = ""
            profile.consent_granted_at = None
            profile.save(update_fields=["consent_version", "consent_granted_at", "updated_at"])
        _shred(profile, reason="consent_withdrawn", ip=ip, user_agent=user_agent)
        face_status_announce(user_id=user_id)
    return record


# --- face data --------------------------------------------------------------------------


def _shred(profile: FaceProfile, *, reason: str, ip: str | None, user_agent: str) -> int:
    """Face pay off, templates and data key deleted; the audit keeps counts only."""
    user_id = profile.user_id
    had_key = FaceDataKey.objects.filter(user_id=user_id).exists()
    removed, _ = FaceTemplate.objects.filter(user_id=user_id).delete()
    FaceDataKey.objects.filter(user_id=user_id).delete()
    was_enabled = profile.face_pay_enabled
    if was_enabled or profile.enrolled_at:
        profile.face_pay_enabled = False
        profile.enrolled_at = None
        profile.save(update_fields=["face_pay_enabled", "enrolled_at", "updated_at"])
    if removed or had_key or was_enabled:
        face_templates_bump()
        audit(
            "face.deleted",
            user_id=user_id,
            data={"templates": removed, "data_key_destroyed": had_key, "reason": reason},
            ip=ip,
            user_agent=user_agent,
        )
    return removed


def face_data_delete(
    *, user_id: int, reason: str = "customer_request", ip: str | None = None, user_agent: str = ""
) -> int:
    """Delete the customer's face data (crypto-shredding); returns templates removed."""
    with transaction.atomic():
        profile = _locked_profile(user_id)
        removed = _shred(profile, reason=reason, ip=ip, user_agent=user_agent)
        face_status_announce(user_id=user_id)
    return removed


def face_pay_pause(*, user_id: int, reason: str) -> None:
    """Stop face pay for this customer until they resume it (idempotent)."""
    with transaction.atomic():
        profile = _locked_profile(user_id)
        if profile.paused:
            return
        profile.paused = True
        profile.paused_reason = (reason or "")[:200]
        profile.paused_at = timezone.now()
        profile.save(update_fields=["paused", "paused_reason", "paused_at", "updated_at"])
        face_templates_bump()
        audit("face_pay.paused", user_id=user_id, data={"reason": profile.paused_reason})
        face_status_announce(user_id=user_id)


def face_pay_resume(*, user_id: int, ip: str | None = None, user_agent: str = "") -> None:
    with transaction.atomic():
        profile = _locked_profile(user_id)
        if not profile.paused:
            return
        profile.paused = False
        profile.paused_reason = ""
        profile.paused_at = None
        profile.save(update_fields=["paused", "paused_reason", "paused_at", "updated_at"])
        face_templates_bump()
        audit("face_pay.resumed", user_id=user_id, ip=ip, user_agent=user_agent)
        face_status_announce(user_id=user_id)


@dataclass(frozen=True)
class SettingsChange:
    always_require_phone_digits: bool
    per_payment_limit_minor: int | None
    daily_limit_minor: int | None
    auto_approve_below_minor: int


def customer_settings_update(
    *, user_id: int, change: SettingsChange, ip: str | None = None, user_agent: str = ""
) -> FaceProfile:
    for name in ("per_payment_limit_minor", "daily_limit_minor", "auto_approve_below_minor"):
        value = getattr(change, name)
        if value is not None and value < 0:
            raise ValidationError({name: _("Amounts cannot be negative.")})
    if (
        change.per_payment_limit_minor is not None
        and change.daily_limit_minor is not None
        and change.per_payment_limit_minor > change.daily_limit_minor
    ):
        raise ValidationError(
            {"per_payment_limit_minor": _("The per-payment limit cannot exceed the daily limit.")}
        )
    with transaction.atomic():
        profile = _locked_profile(user_id)
        fields = [
            "always_require_phone_digits",
            "per_payment_limit_minor",
            "daily_limit_minor",
            "auto_approve_below_minor",
        ]
        changed = {
            name: getattr(change, name)
            for name in fields
            if getattr(profile, name) != getattr(change, name)
        }
        if not changed:
            return profile
        for name, value in changed.items():
            setattr(profile, name, value)
        profile.save(update_fields=[*changed, "updated_at"])
        audit("settings.changed", user_id=user_id, data=changed, ip=ip, user_agent=user_agent)
    return profile


def face_pay_settings_save(
    *,
    user_id: int,
    change: SettingsChange,
    paused: bool,
    ip: str | None = None,
    user_agent: str = "",
) -> None:
    """The settings page's one action: the limits and the pause switch together, so that
    a failure in either leaves both as they were (each keeps its own audit event)."""
    with transaction.atomic():
        customer_settings_update(user_id=user_id, change=change, ip=ip, user_agent=user_agent)
        if paused:
            face_pay_pause(user_id=user_id, reason=PAUSED_BY_CUSTOMER)
        else:
            face_pay_resume(user_id=user_id, ip=ip, user_agent=user_agent)


def phone_number_change(
    *, user_id: int, phone: str, ip: str | None = None, user_agent: str = ""
) -> User:
    """A number typed again on the verification page (a typo, or a number another account
    verified first), only while the account's number is not verified; a code goes to the
    new number (CodeRequestRefused if one was sent too recently: the number is kept)."""
    phone_e164 = normalize_phone(phone)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.phone_verified_at is not None:
            raise AccountsError(_("Your phone number is already verified."), code="phone_verified")
        if User.objects.phone_taken(phone_e164):
            raise ValidationError(_("An account with this phone number already exists."))
        user.phone_e164 = phone_e164
        user.save(update_fields=["phone_e164"])
        audit("phone.changed", user_id=user.pk, ip=ip, user_agent=user_agent)
    phone_code_send(user_id=user.pk, ip=ip, user_agent=user_agent)
    return user


# --- account ----------------------------------------------------------------------------


def account_delete(*, user_id: int, ip: str | None = None, user_agent: str = "") -> None:
    """Delete the account: consent withdrawn, face data shredded, subscriptions and codes
    removed, the person anonymised. The User row stays (deactivated) for the ledger."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.deleted_at is not None:
            return
        consent_withdraw(user_id=user_id)
        PushSubscription.objects.filter(user_id=user_id).delete()
        PhoneCode.objects.filter(user_id=user_id).delete()
        # Proof of consent stays, the network identity of the person does not.
        ConsentRecord.objects.filter(user_id=user_id).update(ip_address=None, user_agent="")
        AuditEvent.objects.filter(user_id=user_id).update(ip_address=None, user_agent="")
        user.email = f"deleted-{user.pk}@deleted.invalid"
        user.full_name = ""
        user.phone_e164 = None
        user.phone_verified_at = None
        user.is_active = False
        user.deleted_at = timezone.now()
        user.set_unusable_password()
        user.save(
            update_fields=[
                "email",
                "full_name",
                "phone_e164",
                "phone_verified_at",
                "is_active",
                "deleted_at",
                "password",
            ]
        )
        audit("account.deleted", user_id=user_id)
        # In the same transaction: no payment may wait on, or hold money of, a deleted account.
        account_deleted.send(sender=None, user_id=user_id)
