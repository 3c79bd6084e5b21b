"""The payment state machine is one table: every service moves through it, nothing else
moves a payment, and docs/payments.md draws exactly that table."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from payments import services, transitions
from payments.models import Payment
from payments.transitions import IllegalTransition
from tests.payments import factories as f
from tests.payments.online_helpers import online_request

S = Payment.Status
DOC = Path(settings.BASE_DIR) / "docs" / "payments.md"


def table_moves() -> set[tuple[str, str]]:
    return {(a, b) for a, moves in Payment.TRANSITIONS.items() for b in moves}


def documented_moves() -> set[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(stateDiagram-v2\n.*?)```", text, re.S)
    assert block, "docs/payments.md has no mermaid stateDiagram"
    arrows = re.findall(r"^\s*(\[\*\]|\w+)\s*-->\s*(\w+)", block.group(1), re.M)
    return {(a, b) for a, b in arrows if a != "[*]"}


def test_the_diagram_in_the_docs_is_the_transition_table():
    assert documented_moves() == table_moves()


def test_every_status_has_a_row_in_the_table():
    assert set(Payment.TRANSITIONS) == set(S.values)


def test_a_move_the_table_does_not_list_raises_and_leaves_the_status():
    payment = Payment(status=S.SUCCEEDED)
    with pytest.raises(IllegalTransition, match="from succeeded to matching"):
        transitions.move(payment, S.MATCHING)
    assert payment.status == S.SUCCEEDED


@pytest.mark.parametrize("status", [S.DECLINED, S.EXPIRED, S.CANCELED, S.REFUNDED])
def test_a_closed_payment_cannot_move_anywhere(status):
    for to in S.values:
        with pytest.raises(IllegalTransition):
            transitions.move(Payment(status=status), to)


@pytest.mark.parametrize("previous,to", sorted(table_moves()))
def test_every_move_in_the_table_is_allowed(previous, to):
    payment = Payment(status=previous)
    assert transitions.move(payment, to) == previous
    assert payment.status == to


# --- every service goes through the table ------------------------------------------


def _created(**_):
    return f.kiosk_payment(f.merchant())


def _matching(**_):
    payment = _created()
    return services.payment_start_matching(payment_id=payment.pk)


def _failed(**_):
    payment = _matching()
    return services.payment_fail(payment_id=payment.pk, reason="no_match")


def _awaiting(*, customer):
    payment = _matching()
    return services.payment_match(payment_id=payment.pk, customer_id=customer.pk)


def _succeeded(*, customer):
    payment = _awaiting(customer=customer)
    return services.payment_approve(payment_id=payment.pk, customer_id=customer.pk)


def _partially_refunded(*, customer):
    payment = _succeeded(customer=customer)
    services.payment_refund(payment_id=payment.pk, amount_minor=100)
    return Payment.objects.get(pk=payment.pk)


def _online(*, customer):
    return online_request(f.merchant(), customer)


def _online_failed(*, customer):
    payment = _online(customer=customer)
    services.payment_start_matching(payment_id=payment.pk)
    return services.payment_fail(payment_id=payment.pk, reason="no_match")


def _online_matching(*, customer):
    payment = _online(customer=customer)
    return services.payment_start_matching(payment_id=payment.pk)


def _decline_before_match(p, c):
    return services.payment_decline(payment_id=p.pk, customer_id=c.pk, before_match=True)


SERVICE_MOVES = [
    # (from, to, reach "from", the service call)
    (
        S.CREATED,
        S.MATCHING,
        _created,
        lambda p, c: services.payment_start_matching(payment_id=p.pk),
    ),
    (S.FAILED, S.MATCHING, _failed, lambda p, c: services.payment_start_matching(payment_id=p.pk)),
    (
        S.MATCHING,
        S.FAILED,
        _matching,
        lambda p, c: services.payment_fail(payment_id=p.pk, reason="x"),
    ),
    (
        S.MATCHING,
        S.AWAITING_CONFIRMATION,
        _matching,
        lambda p, c: services.payment_match(payment_id=p.pk, customer_id=c.pk),
    ),
    (
        S.AWAITING_CONFIRMATION,
        S.SUCCEEDED,
        _awaiting,
        lambda p, c: services.payment_approve(payment_id=p.pk, customer_id=c.pk),
    ),
    (
        S.MATCHING,
        S.DECLINED,
        _matching,
        # Nobody with a zero balance can pay: the match is refused.
        lambda p, c: services.payment_match(payment_id=p.pk, customer_id=f.customer().pk),
    ),
    (
        S.AWAITING_CONFIRMATION,
        S.DECLINED,
        _awaiting,
        lambda p, c: services.payment_decline(payment_id=p.pk, customer_id=c.pk),
    ),
    (S.CREATED, S.DECLINED, _online, _decline_before_match),
    (S.MATCHING, S.DECLINED, _online_matching, _decline_before_match),
    (S.FAILED, S.DECLINED, _online_failed, _decline_before_match),
    *[
        (
            status,
            S.EXPIRED,
            reach,
            lambda p, c: services.payment_expire(payment_id=p.pk, force=True),
        )
        for status, reach in [
            (S.CREATED, _created),
            (S.MATCHING, _matching),
            (S.AWAITING_CONFIRMATION, _awaiting),
            (S.FAILED, _failed),
        ]
    ],
    *[
        (status, S.CANCELED, reach, lambda p, c: services.payment_cancel(payment_id=p.pk))
        for status, reach in [
            (S.CREATED, _created),
            (S.MATCHING, _matching),
            (S.AWAITING_CONFIRMATION, _awaiting),
            (S.FAILED, _failed),
        ]
    ],
    (
        S.SUCCEEDED,
        S.PARTIALLY_REFUNDED,
        _succeeded,
        lambda p, c: services.payment_refund(payment_id=p.pk, amount_minor=100),
    ),
    (S.SUCCEEDED, S.REFUNDED, _succeeded, lambda p, c: services.payment_refund(payment_id=p.pk)),
    (
        S.PARTIALLY_REFUNDED,
        S.PARTIALLY_REFUNDED,
        _partially_refunded,
        lambda p, c: services.payment_refund(payment_id=p.pk, amount_minor=100),
    ),
    (
        S.PARTIALLY_REFUNDED,
        S.REFUNDED,
        _partially_refunded,
        lambda p, c: services.payment_refund(payment_id=p.pk),
    ),
]


def test_the_services_between_them_make_every_move_of_the_table():
    assert {(a, b) for a, b, _, _ in SERVICE_MOVES} == table_moves()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "previous,to,reach,service",
    SERVICE_MOVES,
    ids=[f"{a}->{b}" for a, b, _, _ in SERVICE_MOVES],
)
def test_each_service_move_goes_through_the_table(previous, to, reach, service, monkeypatch):
    customer = f.customer(balance_minor=10_000)
    payment = reach(customer=customer)
    assert payment.status == previous
    with monkeypatch.context() as patched:
        patched.setitem(Payment.TRANSITIONS, previous, Payment.TRANSITIONS[previous] - {to})
        with pytest.raises(IllegalTransition):
            service(payment, customer)
    assert Payment.objects.get(pk=payment.pk).status == previous
    service(payment, customer)
    assert Payment.objects.get(pk=payment.pk).status == to


# --- final and retryable ------------------------------------------------------------


@pytest.mark.parametrize(
    "status,reason,final,retryable",
    [
        (S.CREATED, "", False, True),
        (S.MATCHING, "", False, False),
        (S.AWAITING_CONFIRMATION, "", False, False),
        (S.FAILED, "no_match", False, True),
        (S.FAILED, Payment.EXHAUSTED_REASON, True, False),
        (S.SUCCEEDED, "", True, False),
        (S.PARTIALLY_REFUNDED, "", True, False),
        (S.REFUNDED, "", True, False),
        (S.DECLINED, "customer_declined", True, False),
        (S.EXPIRED, "timeout", True, False),
        (S.CANCELED, "canceled", True, False),
    ],
)
def test_a_payment_knows_whether_it_is_final_and_whether_it_may_be_retried(
    status, reason, final, retryable
):
    payment = Payment(status=status, reason=reason)
    assert (payment.is_final, payment.is_retryable) == (final, retryable)
