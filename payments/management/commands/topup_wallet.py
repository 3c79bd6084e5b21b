"""Put demo money into a customer's wallet: `manage.py topup_wallet EMAIL AMOUNT_MINOR`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from payments.errors import PaymentError
from payments.events import format_money
from payments.selectors import wallet_balance
from payments.services import wallet_topup


class Command(BaseCommand):
    help = "Top up a customer's wallet from the operator's funding account (demo money)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("amount_minor", type=int, help="e.g. 2500 for 25.00")
        parser.add_argument("--currency", default=None, help="ISO 4217; default DEFAULT_CURRENCY")

    def handle(self, *args, email: str, amount_minor: int, currency: str | None, **options) -> None:
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"no user with email {email}")
        try:
            txn = wallet_topup(user_id=user.pk, amount_minor=amount_minor, currency=currency)
        except PaymentError as exc:
            raise CommandError(exc.message) from exc
        balances = ", ".join(
            format_money(account.balance_minor, account.currency)
            for account in wallet_balance(user_id=user.pk)
        )
        self.stdout.write(f"Topped up {email} (ledger transaction {txn.pk}); balance {balances}")
