"""Phone verification by a one-time code sent through the SMS backend.

The code is six random digits; only an HMAC of it (keyed by SECRET_KEY, bound to the
user and the number) is stored. A code expires after PHONE_CODE_TTL_SECONDS, allows
PHONE_CODE_MAX_ATTEMPTS wrong guesses, and a new one can be asked for only every
PHONE_CODE_RESEND_SECONDS and at most PHONE_CODE_MAX_PER_HOUR times an hour.
Sending a new code retires the older ones.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import audit
from accounts.errors import AccountsError, CodeRequestRefused
from accounts.language import in_language_of
from accounts.models import PhoneCode, User
from accounts.sms import send_sms

CODE_DIGITS = 6


class VerifyOutcome(enum.StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"  # or never sent, or already used
    LOCKED = "locked"  # too many wrong guesses for this code
    TAKEN = "taken"  # another account verified this number first


def _hash(*, user_id: int, phone: str, code: str) -> str:
    message = f"phone-code/v1/{user_id}/{phone}/{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def phone_code_send(*, user_id: int, ip: str | None = None, user_agent: str = "") -> PhoneCode:
    """Send a fresh code to the user's phone number, or raise CodeRequestRefused."""
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if not user.phone_e164:
            raise AccountsError(_("Add a phone number first."), code="no_phone")
        recent = PhoneCode.objects.filter(user=user, created_at__gte=now - timedelta(hours=1))
        latest = recent.order_by("-created_at").first()
        if latest is not None:
            wait = settings.PHONE_CODE_RESEND_SECONDS - (now - latest.created_at).total_seconds()
            if wait > 0:
                seconds = int(wait) + 1
                raise CodeRequestRefused(
                    ngettext(
                        "Please wait %(seconds)d second before asking for another code.",
                        "Please wait %(seconds)d seconds before asking for another code.",
                        seconds,
                    )
                    % {"seconds": seconds},
                    retry_after=seconds,
                )
        if recent.count() >= settings.PHONE_CODE_MAX_PER_HOUR:
            oldest = recent.order_by("created_at").first()
            retry = int((oldest.created_at + timedelta(hours=1) - now).total_seconds()) + 1
            raise CodeRequestRefused(
                _("Too many codes sent to this number. Try again later."), retry_after=retry
            )
        PhoneCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        code = _new_code()
        record = PhoneCode.objects.create(
            user=user,
            phone_e164=user.phone_e164,
            code_hash=_hash(user_id=user.pk, phone=user.phone_e164, code=code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS),
        )
        audit("phone.code_sent", user_id=user.pk, ip=ip, user_agent=user_agent)
        phone = user.phone_e164
        minutes = max(1, settings.PHONE_CODE_TTL_SECONDS // 60)
        with in_language_of(user_id=user.pk):
            body = ngettext(
                "Your SmilePay code is %(code)s. It expires in %(minutes)d minute.",
                "Your SmilePay code is %(code)s. It expires in %(minutes)d minutes.",
                minutes,
            ) % {"code": code, "minutes": minutes}
        transaction.on_commit(lambda: send_sms(to=phone, body=body))
    return record


def phone_code_verify(
    *, user_id: int, code: str, ip: str | None = None, user_agent: str = ""
) -> VerifyOutcome:
    """Check a code typed by the user; on success the phone number counts as verified."""
    now = timezone.now()
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    with transaction.atomic():
        user = _lock_with_the_numbers_holders(user_id)
        if not user.phone_e164:  # another account verified the number this code went to
            return VerifyOutcome.TAKEN
        record = (
            PhoneCode.objects.select_for_update()
            .filter(user=user, phone_e164=user.phone_e164 or "", used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if record is None or record.expires_at <= now:
            return VerifyOutcome.EXPIRED
        if record.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
            return VerifyOutcome.LOCKED
        expected = _hash(user_id=user.pk, phone=record.phone_e164, code=typed)
        if len(typed) != CODE_DIGITS or not hmac.compare_digest(expected, record.code_hash):
            record.attempts += 1
            record.save(update_fields=["attempts"])
            audit("phone.code_wrong", user_id=user.pk, data={"attempts": record.attempts})
            if record.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
                return VerifyOutcome.LOCKED
            return VerifyOutcome.WRONG
        record.used_at = now
        record.save(update_fields=["used_at"])
        if not _claim_number(user, now=now):
            return VerifyOutcome.TAKEN
        audit("phone.verified", user_id=user.pk, ip=ip, user_agent=user_agent)
    return VerifyOutcome.VERIFIED


def _lock_with_the_numbers_holders(user_id: int) -> User:
    """Lock the user and every other account holding the same number, in one order (by
    id): two of them verifying at once would otherwise each hold their own row and wait
    for the other's (a deadlock)."""
    number = User.objects.filter(pk=user_id).values_list("phone_e164", flat=True).get()
    holders = User.objects.select_for_update().order_by("pk")
    if number:
        holders = holders.filter(Q(pk=user_id) | Q(phone_e164=number))
    else:
        holders = holders.filter(pk=user_id)
    return next(holder for holder in holders if holder.pk == user_id)


def _claim_number(user: User, *, now) -> bool:
    """Make the user's number verified, theirs alone: accounts that typed it but never
    verified it lose it. False if another account verified it first."""
    if User.objects.phone_taken(user.phone_e164, besides=user.pk):
        return False
    user.phone_verified_at = now
    try:
        with transaction.atomic():  # a concurrent verification of the same number
            user.save(update_fields=["phone_verified_at"])
    except IntegrityError:
        return False
    others = User.objects.filter(phone_e164=user.phone_e164).exclude(pk=user.pk)
    for other in others.filter(phone_verified_at__isnull=True):
        other.phone_e164 = None
        other.save(update_fields=["phone_e164"])
        audit("phone.released", user_id=other.pk, data={"verified_by_user_id": user.pk})
    return True
