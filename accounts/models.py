from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.managers import UserManager
from accounts.phones import last4, normalize_phone


class User(AbstractBaseUser, PermissionsMixin):
    """A person: customer, merchant staff or operator. Signs in by email or phone."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    # Unique among verified numbers only (Meta): a sign-up that never verifies its number
    # must not keep the number's real owner out.
    phone_e164 = models.CharField(  # noqa: DJ001 - NULL: no number (many accounts have none)
        "phone number",
        max_length=16,
        null=True,
        blank=True,
        db_index=True,
        help_text="E.164, e.g. +15551234567",
    )
    # The kiosk narrows a 1:N search by these digits, so they get an index of their own.
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person deleted their account: the row stays (the ledger points at it),
    # anonymised.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The language of what reaches the person outside a page (SMS, push, e-mail): set at
    # sign-up and by the switcher while signed in. Empty: the site's default.
    language = models.CharField(max_length=8, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            models.UniqueConstraint(
                fields=["phone_e164"],
                condition=models.Q(phone_verified_at__isnull=False),
                name="one_verified_account_per_phone",
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.phone_e164:
            self.phone_e164 = normalize_phone(self.phone_e164)

    def save(self, *args, **kwargs) -> None:
        self.phone_e164 = self.phone_e164 or None
        self.phone_last4 = last4(self.phone_e164 or "")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone_e164" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_last4"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]


class AuditEvent(models.Model):
    """The append-only audit trail of every app, written only by `accounts.audit.audit`.

    `name` is dotted (consent.granted, face.enrolled, payment.succeeded, kiosk.revoked,
    api_key.created, ...). `user` is the person whose account it is about, if any.
    `data` never holds biometric content, codes, keys, tokens or images: ids, counts,
    versions and reasons only.
    """

    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    # The payment it is about (its trail on the merchant's payment page). A plain id, not
    # a foreign key: accounts sits below payments and never refers to its models.
    payment_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    name = models.CharField(max_length=64, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} user={self.user_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class PhoneCode(models.Model):
    """A one-time code sent by SMS to prove a phone number. Only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_codes")
    phone_e164 = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"phone code {self.pk} for user {self.user_id}"


class ConsentRecord(models.Model):
    """One grant or withdrawal of biometric consent, exactly as it happened."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("Granted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consent_records")
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.CharField(max_length=32)
    text_sha256 = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"consent {self.action} v{self.version} by user {self.user_id}"


class FaceProfile(models.Model):
    """A customer's face pay state and preferences (one row per customer)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="face_profile")
    # The consent version currently granted; "" when none (never given or withdrawn).
    consent_version = models.CharField(max_length=32, blank=True)
    consent_granted_at = models.DateTimeField(null=True, blank=True)
    face_pay_enabled = models.BooleanField(default=False)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=200, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    always_require_phone_digits = models.BooleanField(default=False)
    # Limits for face payments, integer minor units; null = no limit of our own.
    per_payment_limit_minor = models.PositiveBigIntegerField(null=True, blank=True)
    daily_limit_minor = models.PositiveBigIntegerField(null=True, blank=True)
    # Payments strictly below this amount are approved without asking; 0 = always confirm.
    auto_approve_below_minor = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"face profile of user {self.user_id}"


class FaceDataKey(models.Model):
    """A customer's random data key, wrapped (AES-GCM) by the master key `master_key_id`.

    Deleting this row makes every template encrypted under it unreadable, backups included.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="face_data_key")
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    rewrapped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key of user {self.user_id} (wrapped by {self.master_key_id})"


class FaceTemplate(models.Model):
    """One encrypted face encoding. `pending` while enrolling, `active` once self-checked."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="face_templates")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # nonce (12 bytes) + AES-GCM ciphertext and tag of the float32 encoding (128 values
    # for dlib alone, more with a second encoder: smilepay.faces.encoders).
    ciphertext = models.BinaryField()
    quality_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now)
    # Fingerprint of the face encoders that made it (smilepay.faces.config): templates of
    # one configuration cannot be compared with another's, so only those of the
    # configuration in force are used (`manage.py reset_face_templates` drops the rest).
    configuration = models.CharField(max_length=120, default="dlib")

    class Meta:
        indexes = [models.Index(fields=["user", "status"], name="facetemplate_user_status")]

    def __str__(self) -> str:
        return f"{self.status} template {self.pk} of user {self.user_id}"


class FaceFlag(models.Model):
    """Something about a face an operator should look at, e.g. an enrollment refused
    because the face already matches another customer."""

    class Kind(models.TextChoices):
        DUPLICATE_ENROLLMENT = "duplicate_enrollment", "Face matches another customer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="face_flags")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    other_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    distance = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} flag on user {self.user_id}"


class FaceRegistry(models.Model):
    """A single row: `version` goes up whenever the set of usable templates changes."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"face registry v{self.version}"


class PushSubscription(models.Model):
    """One browser's Web Push subscription (one per device)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.TextField()
    endpoint_sha256 = models.CharField(max_length=64, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of user {self.user_id}"
