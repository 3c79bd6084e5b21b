"""Reads for other apps (payments, kiosk) and for the portal pages.

`load_face_templates` is the only place templates are decrypted: call it only where
matching happens (the recognition task, the 1:1 online check, the enrollment
duplicate/self checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext

from accounts import crypto
from accounts.models import (
    ConsentRecord,
    FaceDataKey,
    FaceProfile,
    FaceRegistry,
    FaceTemplate,
    PushSubscription,
    User,
)
from smilepay.faces.config import current as face_engine_config


@dataclass(frozen=True)
class FacePayStatus:
    enabled: bool  # face pay can be used now: consent current, enrolled, not paused
    paused: bool
    consent_version: str  # the version granted, "" if none
    template_count: int  # active templates
    consent_current: bool = False
    enrolled: bool = False
    paused_reason: str = ""
    enrolled_at: datetime | None = None
    phone_verified: bool = False


# How face pay came to be paused (FacePayStatus.paused_reason, as the services wrote it).
PAUSED_BY_CUSTOMER = "paused by the customer"
PAUSED_FOR_FLAGGED_ATTEMPT = "flagged recognition attempt"


def paused_because(reason: str) -> str:
    """The pause's reason in the customer's words, "" when there is nothing to say
    (the stored reason is for the audit trail, in English)."""
    if reason.startswith(PAUSED_FOR_FLAGGED_ATTEMPT):
        return gettext("You said a recognition of your face was not you.")
    if reason == PAUSED_BY_CUSTOMER:
        return gettext("You paused it.")
    return ""


@dataclass(frozen=True)
class CustomerLimits:
    per_payment_limit_minor: int | None  # None: no limit of the customer's own
    daily_limit_minor: int | None
    auto_approve_below_minor: int  # 0 = always confirm on the phone
    always_require_phone_digits: bool


def face_configuration() -> str:
    """Fingerprint of the face encoders in force: only its templates can be compared."""
    return face_engine_config().fingerprint


def usable_templates() -> QuerySet[FaceTemplate]:
    """Templates made by the encoder configuration in force (others are never compared)."""
    return FaceTemplate.objects.filter(configuration=face_configuration())


def _active_templates() -> QuerySet[FaceTemplate]:
    return usable_templates().filter(user=OuterRef("pk"), status=FaceTemplate.Status.ACTIVE)


def face_pay_candidates(*, phone_last4: str | None = None) -> QuerySet[User]:
    """Customers whose consent is current, face pay on and not paused, with templates."""
    qs = User.objects.filter(
        is_active=True,
        deleted_at__isnull=True,
        face_profile__consent_version=settings.BIOMETRIC_CONSENT_VERSION,
        face_profile__face_pay_enabled=True,
        face_profile__paused=False,
        face_data_key__isnull=False,
    ).filter(Exists(_active_templates()))
    if phone_last4 is not None:
        qs = qs.filter(phone_last4=phone_last4)
    return qs


def customer_id_by_contact(*, phone_e164: str = "", email: str = "") -> int | None:
    """The active customer with a verified phone who has this number (E.164) or this
    e-mail (give one); None when there is none."""
    customers = User.objects.filter(is_active=True, phone_verified_at__isnull=False)
    if phone_e164:
        customers = customers.filter(phone_e164=phone_e164)
    elif email:
        customers = customers.filter(email=email.strip().lower())
    else:
        return None
    return customers.values_list("pk", flat=True).first()


def customer_face_pay_status(*, user_id: int) -> FacePayStatus:
    user = User.objects.get(pk=user_id)
    profile = FaceProfile.objects.filter(user_id=user_id).first() or FaceProfile(user=user)
    count = usable_templates().filter(user_id=user_id, status=FaceTemplate.Status.ACTIVE).count()
    current = bool(profile.consent_version) and (
        profile.consent_version == settings.BIOMETRIC_CONSENT_VERSION
    )
    enrolled = profile.face_pay_enabled and count > 0
    return FacePayStatus(
        enabled=bool(current and enrolled and not profile.paused and user.is_active),
        paused=profile.paused,
        consent_version=profile.consent_version,
        template_count=count,
        consent_current=current,
        enrolled=enrolled,
        paused_reason=profile.paused_reason,
        enrolled_at=profile.enrolled_at,
        phone_verified=user.phone_verified_at is not None,
    )


def customer_limits(*, user_id: int) -> CustomerLimits:
    profile = FaceProfile.objects.filter(user_id=user_id).first() or FaceProfile()
    return CustomerLimits(
        per_payment_limit_minor=profile.per_payment_limit_minor,
        daily_limit_minor=profile.daily_limit_minor,
        auto_approve_below_minor=profile.auto_approve_below_minor,
        always_require_phone_digits=profile.always_require_phone_digits,
    )


def load_face_templates(
    *,
    user_ids: list[int] | None = None,
    status: str = FaceTemplate.Status.ACTIVE,
    candidates_only: bool = True,
) -> dict[int, list[np.ndarray]]:
    """Decrypted templates by user id.

    Without `user_ids`: every face pay candidate's active templates (the kiosk's 1:N
    gallery); `candidates_only=False` widens that to everyone enrolled, paused or not
    (the enrollment duplicate check). With `user_ids`: those users' templates of
    `status`. Decrypts: call only where matching happens.
    """
    templates = usable_templates().filter(status=status)
    if user_ids is not None:
        templates = templates.filter(user_id__in=list(user_ids))
    elif candidates_only:
        templates = templates.filter(user__in=face_pay_candidates())
    rows = list(templates.order_by("user_id", "id").values_list("user_id", "ciphertext"))
    if not rows:
        return {}
    keys = {
        key.user_id: key
        for key in FaceDataKey.objects.filter(user_id__in={user_id for user_id, _ in rows})
    }
    out: dict[int, list[np.ndarray]] = {}
    data_keys: dict[int, bytes] = {}
    for user_id, ciphertext in rows:
        wrapped = keys.get(user_id)
        if wrapped is None:  # shredded while we read: those templates are gone
            continue
        if user_id not in data_keys:
            data_keys[user_id] = crypto.unwrap_data_key(
                wrapped=wrapped.wrapped_key, user_id=user_id, master_key_id=wrapped.master_key_id
            )
        out.setdefault(user_id, []).append(
            crypto.decrypt_template(
                ciphertext=ciphertext, data_key=data_keys[user_id], user_id=user_id
            )
        )
    return out


def face_pay_digits_always_asked() -> bool:
    """Does any customer a kiosk could recognise want their phone digits asked every time?
    Then every kiosk asks before the smile, so that customer smiles only once; one
    EXISTS query, cheap enough for each capture ticket."""
    return face_pay_candidates().filter(face_profile__always_require_phone_digits=True).exists()


def face_enrolled_count() -> int:
    """How many people an open kiosk search compares a face with: everyone who has active
    templates, paused or not (the same people as ``load_face_templates(candidates_only=False)``)."""
    return (
        usable_templates()
        .filter(status=FaceTemplate.Status.ACTIVE)
        .values("user_id")
        .distinct()
        .count()
    )


def face_templates_version() -> int:
    """Goes up on every enrollment, withdrawal, deletion, pause or resume (a cache key)."""
    row = FaceRegistry.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def consent_history(*, user_id: int):
    return ConsentRecord.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def push_subscriptions(*, user_id: int) -> QuerySet[PushSubscription]:
    """The customer's devices that take notifications."""
    return PushSubscription.objects.filter(user_id=user_id)


def push_subscription_count(*, user_id: int) -> int:
    return push_subscriptions(user_id=user_id).count()
