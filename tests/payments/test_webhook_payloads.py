"""Webhook payloads come from a plain function (no API layer in the domain), and say
exactly what the DRF serializers that used to build them said, byte for byte."""

from __future__ import annotations

import json

import pytest
from rest_framework import serializers

from payments import services
from payments.models import Payment, Refund
from payments.webhook_payloads import payment_payload
from payments.webhooks import _payload
from tests.payments import factories

pytestmark = pytest.mark.django_db


class PreviousRefundShape(serializers.ModelSerializer):
    """The refund serializer that built webhook payloads before the plain function."""

    object = serializers.SerializerMethodField()
    payment_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Refund
        fields = ["id", "object", "payment_id", "amount_minor", "reason", "created_at"]

    def get_object(self, obj: Refund) -> str:
        return "refund"


class PreviousPaymentShape(serializers.ModelSerializer):
    """The payment serializer that built webhook payloads before the plain function."""

    object = serializers.SerializerMethodField()
    kiosk_id = serializers.IntegerField(read_only=True, allow_null=True)
    amount_refunded_minor = serializers.IntegerField(source="refunded_minor", read_only=True)
    refunds = PreviousRefundShape(many=True, read_only=True)

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


def _previous(serializer) -> str:
    return json.dumps(json.loads(json.dumps(serializer.data, default=str)))


def _partly_refunded_payment() -> tuple[Payment, Refund]:
    merchant = factories.merchant()
    customer = factories.customer(balance_minor=5000)
    payment = factories.paid_payment(merchant, customer, amount_minor=1200)
    services.payment_refund(payment_id=payment.pk, amount_minor=200, reason="chipped mug")
    services.payment_refund(payment_id=payment.pk, amount_minor=300)
    payment = Payment.objects.get(pk=payment.pk)
    return payment, payment.refunds.last()


def test_a_refunded_payments_payload_is_byte_identical_to_the_previous_shape():
    payment, refund = _partly_refunded_payment()

    payload = _payload(
        event_id="evt_1", event_type="payment.refunded", payment=payment, refund=refund
    )

    assert json.dumps(payload["data"]["object"]) == _previous(PreviousPaymentShape(payment))
    assert json.dumps(payload["data"]["refund"]) == _previous(PreviousRefundShape(refund))
    assert len(payload["data"]["object"]["refunds"]) == 2


def test_an_open_online_payments_payload_is_byte_identical_to_the_previous_shape():
    merchant = factories.merchant()
    payment = factories.kiosk_payment(merchant)
    Payment.objects.filter(pk=payment.pk).update(
        description="Coffee beans", return_url="https://shop.example/back"
    )
    payment = Payment.objects.get(pk=payment.pk)

    assert json.dumps(payment_payload(payment)) == _previous(PreviousPaymentShape(payment))
    assert payment_payload(payment)["decided_at"] is None


def test_webhook_payloads_do_not_depend_on_the_api_layer():
    import ast
    from pathlib import Path

    for module in ("webhooks.py", "webhook_payloads.py"):
        tree = ast.parse((Path(__file__).parents[2] / "payments" / module).read_text())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {
            name for name in imported if name.startswith(("payments.api", "rest_framework"))
        }
