"""What payments tells a customer about to delete their account."""

from __future__ import annotations

from django.utils.translation import gettext as _

from payments import selectors, services
from payments.models import Payment
from payments.templatetags.money import money


def money_left_warnings(sender, *, user_id: int, **kwargs) -> list[str]:
    """Receiver of accounts.signals.account_deletion_viewed: the money still in the
    wallet, which deleting the account does not pay out."""
    return [
        _(
            "Your wallet still holds %(amount)s. Deleting your account does not pay it "
            "out: spend it first."
        )
        % {"amount": money(wallet.balance_minor, wallet.currency)}
        for wallet in selectors.wallet_balance(user_id=user_id)
        if wallet.balance_minor > 0
    ]


def decline_what_waits_on_them(sender, *, user_id: int, **kwargs) -> None:
    """Receiver of accounts.signals.account_deleted, inside the deletion's transaction:
    every payment still waiting for this customer is declined and its hold released, so
    that nothing (a notification's Approve, a late page) can take money from the account
    once it is gone."""
    waiting = Payment.objects.filter(customer_id=user_id, status__in=Payment.OPEN_STATUSES)
    for payment_id in waiting.values_list("pk", flat=True):
        services.payment_decline(payment_id=payment_id, customer_id=user_id, before_match=True)
