"""A merchant, its staff, its kiosks and their pairing codes, its API keys and webhook
endpoints. The tables keep their payments_ names (they moved here from payments without
touching the database: merchants/migrations/0001_initial.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merchants.return_urls import parse_hosts
from smilepay import money


class Merchant(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    currency = models.CharField(max_length=3, default="USD")
    # Hosts an online payment may send the shopper back to (merchants/return_urls.py).
    return_hosts = models.TextField(
        blank=True,
        help_text="Host names your shop's return URLs use, one per line (e.g. shop.example.com).",
    )
    # The largest payment this merchant takes, in minor units; empty: PAYMENT_MAX_AMOUNT_MINOR.
    max_payment_minor = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Largest payment in minor units (cents); empty for the site default.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_merchant"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.return_hosts = "\n".join(parse_hosts(self.return_hosts))
        except ValidationError as exc:
            raise ValidationError({"return_hosts": exc.messages}) from exc

    @property
    def return_host_list(self) -> list[str]:
        return [host for host in self.return_hosts.split() if host]

    @property
    def payment_cap_minor(self) -> int:
        """The largest amount one payment may have here."""
        cap = self.max_payment_minor or settings.PAYMENT_MAX_AMOUNT_MINOR
        return min(cap, money.LARGEST_MINOR)


class MerchantMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        CASHIER = "cashier", _("Cashier")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CASHIER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_merchantmembership"
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class Kiosk(models.Model):
    """A counter device. Its browser holds a device token; we keep only the hash."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="kiosks")
    name = models.CharField(max_length=100)
    location = models.CharField(max_length=200, blank=True)
    device_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    paired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    require_phone_digits = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_kiosk"

    def __str__(self) -> str:
        return f"{self.merchant} / {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class KioskPairingCode(models.Model):
    """A one-time code that binds a browser to a kiosk. Stored hashed; single use."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="pairing_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_kioskpairingcode"

    def __str__(self) -> str:
        return f"pairing code {self.pk} for kiosk {self.kiosk_id}"

    def is_usable(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.expires_at > now


class ApiKey(models.Model):
    """A merchant backend's secret `sk_...`; we keep its SHA-256 and a visible prefix."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_apikey"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


WEBHOOK_EVENT_TYPES = (
    "payment.succeeded",
    "payment.declined",
    "payment.expired",
    "payment.failed",
    "payment.refunded",
)


class WebhookEndpoint(models.Model):
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # Needed in clear to sign each delivery (HMAC); shown to the merchant once, like Stripe's.
    secret = models.CharField(max_length=80)
    # Event types this endpoint wants; empty means all of WEBHOOK_EVENT_TYPES.
    event_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_webhookendpoint"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.event_types or event_type in self.event_types)
