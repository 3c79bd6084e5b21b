"""What the API (and webhooks) say about payments, and what they accept."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.phones import normalize_phone
from merchants.models import Kiosk
from payments.models import Payment, Refund
from payments.webhook_payloads import payment_payload, refund_payload
from smilepay import money


class RefundSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    payment_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Refund
        fields = ["id", "object", "payment_id", "amount_minor", "reason", "created_at"]

    def get_object(self, obj: Refund) -> str:
        return "refund"

    def to_representation(self, instance: Refund) -> dict:
        # The fields above describe the schema; the shape itself is the webhooks' one.
        return refund_payload(instance)


class PaymentSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    kiosk_id = serializers.IntegerField(read_only=True, allow_null=True)
    amount_refunded_minor = serializers.IntegerField(source="refunded_minor", read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "object",
            "status",
            "reason",
            "channel",
            "amount_minor",
            "currency",
            "amount_refunded_minor",
            "kiosk_id",
            "description",
            "return_url",
            "expires_at",
            "created_at",
            "decided_at",
            "refunds",
        ]

    def get_object(self, obj: Payment) -> str:
        return "payment"

    def to_representation(self, instance: Payment) -> dict:
        # The fields above describe the schema; the shape itself is the webhooks' one.
        return payment_payload(instance)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else: not "450", 450.0, " 450 " or other digit scripts."""

    default_error_messages = {"invalid": _("must be a JSON integer (minor units), e.g. 450")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class KnownFieldsOnly(serializers.Serializer):
    """A request body with a field the endpoint does not know is refused: a misspelled
    `amount` must not be read as "no amount", which for a refund means all of it."""

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(self.initial_data or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {unknown[0]: _("unknown field: this endpoint does not take it")}
            )
        return super().validate(attrs)


class PaymentCreateSerializer(KnownFieldsOnly):
    amount_minor = StrictIntegerField(
        min_value=1,
        max_value=money.LARGEST_MINOR,
        help_text="Minor units (cents) as a JSON integer; at most the merchant's maximum.",
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}\Z",
        required=False,
        help_text="ISO 4217; the merchant's own currency (the default) is the only one accepted.",
    )
    # A row id: beyond 64 bits no row can match, and SQLite refuses to bind it at all.
    kiosk_id = serializers.IntegerField(required=False, min_value=-(2**63), max_value=2**63 - 1)
    customer_phone = serializers.CharField(
        required=False, max_length=32, help_text="Online request: the customer's phone number."
    )
    customer_email = serializers.EmailField(
        required=False,
        help_text="Online request: the customer's SmilePay e-mail (instead of phone).",
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    return_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    expires_in_seconds = serializers.IntegerField(required=False, min_value=30, max_value=86400)

    def validate_customer_phone(self, value: str) -> str:
        """The number in E.164, as customers' numbers are stored."""
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_("not a valid phone number")) from exc

    def validate(self, attrs: dict) -> dict:
        given = [name for name in ("kiosk_id", "customer_phone", "customer_email") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {
                    "kiosk_id": _(
                        "give exactly one of kiosk_id (kiosk), customer_phone or "
                        "customer_email (online)"
                    )
                }
            )
        return super().validate(attrs)


class RefundCreateSerializer(KnownFieldsOnly):
    amount_minor = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=money.LARGEST_MINOR,
        help_text="Minor units as a JSON integer; omit for a full refund of what remains.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CancelSerializer(KnownFieldsOnly):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=64)


class KioskSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Kiosk
        fields = ["id", "name", "location", "is_active", "require_phone_digits", "created_at"]


class ErrorDetailSerializer(serializers.Serializer):
    type = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    param = serializers.CharField(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
