"""Live kiosk screens: every payment state change goes to the kiosk's websocket group."""

from __future__ import annotations

from django.db import transaction

from kiosk.selectors import kiosk_payment_state, since_this_device
from payments.models import Payment
from smilepay.group_send import group_send


def kiosk_group(kiosk_id: int) -> str:
    return f"kiosk.{kiosk_id}"


def broadcast_payment(*, payment_id: int) -> None:
    """Send the payment's state as it is now (re-read, so late or repeated calls are right)."""
    payment = Payment.objects.select_related("customer").filter(pk=payment_id).first()
    if payment is None or payment.kiosk_id is None:
        return
    # A payment from before the kiosk's present device was paired (refunded later, say)
    # is not that device's to hear about.
    if not since_this_device(payment.kiosk_id).filter(pk=payment.pk).exists():
        return
    group_send(
        kiosk_group(payment.kiosk_id),
        {"type": "kiosk.payment", "payment": kiosk_payment_state(payment=payment)},
    )


def on_payment_status_changed(
    sender, *, payment_id: int, kiosk_id: int | None = None, **kwargs
) -> None:
    # payments sends this signal from transaction.on_commit, so the state is committed.
    if kiosk_id is not None:
        broadcast_payment(payment_id=payment_id)


def close_kiosk_sockets(sender, *, kiosk_id: int, keep_token_hash: str = "", **kwargs) -> None:
    """Close the kiosk's sockets once the change that asked for it has committed (at once
    outside a transaction), except the new device's when one was just paired."""
    transaction.on_commit(
        lambda: group_send(
            kiosk_group(kiosk_id), {"type": "kiosk.revoked", "keep_token_hash": keep_token_hash}
        ),
        robust=True,
    )
