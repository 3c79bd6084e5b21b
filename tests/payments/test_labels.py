"""People read words, not codes: statuses, reasons, outcomes and audit events are shown
through one mapping (payments/labels.py); the API keeps the codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from payments import labels, services
from payments.models import Payment, RecognitionAttempt
from tests.payments import factories as f

SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DOTTED_CODE = re.compile(r"\bpayment\.[a-z_]+\b|\brecognition\.[a-z_]+\b")


def visible_text(html: str) -> str:
    """What a person reads: no tags, attributes, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_every_payment_status_has_a_human_label():
    for status in Payment.Status.values:
        assert status in labels.PAYMENT_STATUS
        assert "_" not in labels.status_label(status)


def test_every_recognition_outcome_has_a_human_label():
    for outcome in [*RecognitionAttempt.Outcome.values, "presentation_attack"]:
        assert outcome in labels.RECOGNITION_OUTCOME


PAYMENT_REASON_WRITERS = {"payment_fail", "payment_cancel", "_decline", "_close"}
APPS = ("accounts", "kiosk", "merchants", "payments", "demo_shop")


def reasons_written_by_the_code() -> set[str]:
    """Every literal reason the apps hand to a payment transition."""
    root = Path(__file__).resolve().parents[2]
    found = set()
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                for kw in node.keywords if name in PAYMENT_REASON_WRITERS else ():
                    if kw.arg == "reason" and isinstance(kw.value, ast.Constant):
                        found.add(kw.value.value)
    return found


def test_every_reason_a_transition_writes_has_a_french_label():
    reasons = reasons_written_by_the_code()
    assert {"recognition_timeout", "canceled_at_kiosk"} <= reasons  # the walk finds them
    for reason in reasons:
        assert reason in labels.PAYMENT_REASON, reason
        with translation.override("en"):
            english = labels.reason_label(reason)
        with translation.override("fr"):
            assert labels.reason_label(reason) != english, f"{reason} has no French label"


def test_an_unknown_code_still_reads_as_words():
    assert labels.reason_label("some_new_reason") == "some new reason"
    assert labels.event_label("payment.something_new") == "Payment something new"


@pytest.mark.django_db
def test_the_merchant_payment_list_shows_reasons_in_words(client):
    cafe = f.merchant()
    client.force_login(f.staff(cafe))
    payment = f.kiosk_payment(cafe)
    services.payment_cancel(payment_id=payment.pk, reason="canceled_at_kiosk")
    text = visible_text(client.get("/merchant/payments/").content.decode())
    assert "canceled at the kiosk" in text
    assert not SNAKE_CASE.search(text), SNAKE_CASE.findall(text)


@pytest.mark.django_db
def test_the_audit_trail_reads_as_words_without_internal_ids(client):
    cafe = f.merchant()
    client.force_login(f.staff(cafe))
    casey = f.customer(balance_minor=5000)
    payment = f.paid_payment(cafe, casey, amount_minor=450)
    services.recognition_attempt_record(
        payment_id=payment.pk, kiosk_id=payment.kiosk_id, outcome="no_match"
    )
    services.recognition_attempt_record(
        payment_id=payment.pk, kiosk_id=payment.kiosk_id, outcome="matched", customer_id=casey.pk
    )
    services.payment_refund(payment_id=payment.pk, amount_minor=50)
    text = visible_text(client.get(f"/merchant/payments/{payment.pk}/").content.decode())
    assert "Paid" in text and "Partly refunded" in text and "Not recognised" in text
    assert "$0.50" in text
    assert "customer_id" not in text and "=" not in text
    assert not DOTTED_CODE.search(text), DOTTED_CODE.findall(text)
    assert not SNAKE_CASE.search(text), SNAKE_CASE.findall(text)


@pytest.mark.django_db
def test_a_customer_sees_why_a_payment_ended_in_words(client):
    casey = f.customer(balance_minor=100)
    client.force_login(casey)
    payment = f.kiosk_payment(f.merchant(), amount_minor=500)
    services.payment_start_matching(payment_id=payment.pk)
    services.payment_match(payment_id=payment.pk, customer_id=casey.pk)
    text = visible_text(client.get(f"/me/payments/{payment.pk}/confirm/").content.decode())
    assert "not enough money in your wallet" in text
    assert "insufficient_funds" not in text
