"""What payments tells a customer about to delete their account."""

from __future__ import annotations

from django.utils.translation import gettext as _

from payments import selectors
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
