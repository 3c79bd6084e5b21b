"""Create the demo merchant, kiosk and logins if they are absent; safe to run every start."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from payments.models import Kiosk, LedgerAccount, Merchant, MerchantMembership
from payments.services import kiosk_issue_pairing_code, wallet_topup

DEMO_MERCHANT_SLUG = "demo-cafe"
DEMO_STAFF_EMAIL = "staff@demo-cafe.example"
DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_CUSTOMER_PHONE = "+12025550123"
DEMO_WALLET_MINOR = 5000


class Command(BaseCommand):
    help = "Create demo data (Demo Café, a kiosk, a staff and a customer login) if absent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet: bool = False, **options) -> None:
        with transaction.atomic():
            merchant, kiosk = self._merchant_and_kiosk()
            self._user(DEMO_STAFF_EMAIL, "Sam Staff", phone=None, merchant=merchant)
            customer = self._user(DEMO_CUSTOMER_EMAIL, "Casey Customer", phone=DEMO_CUSTOMER_PHONE)
            # Demo money (there is no card processing): fund the wallet once.
            if not LedgerAccount.objects.filter(kind="customer", user=customer).exists():
                wallet_topup(
                    user_id=customer.pk,
                    amount_minor=DEMO_WALLET_MINOR,
                    currency=merchant.currency,
                    memo="demo wallet",
                )
        # A code cannot be shown again once hashed, so each start issues a fresh one.
        code = kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
        if not quiet:
            self._print_summary(kiosk_code=code)

    def _merchant_and_kiosk(self) -> tuple[Merchant, Kiosk]:
        merchant, _ = Merchant.objects.get_or_create(
            slug=DEMO_MERCHANT_SLUG,
            defaults={"name": "Demo Café", "currency": settings.DEFAULT_CURRENCY},
        )
        kiosk, _ = Kiosk.objects.get_or_create(
            merchant=merchant, name="Counter 1", defaults={"location": "Front counter"}
        )
        return merchant, kiosk

    def _user(self, email: str, name: str, *, phone: str | None, merchant=None):
        user_model = get_user_model()
        user = user_model.objects.filter(email=email).first()
        if user is None:
            user = user_model.objects.create_user(
                email, settings.DEMO_PASSWORD, full_name=name, phone_e164=phone
            )
        if merchant is not None:
            MerchantMembership.objects.get_or_create(
                merchant=merchant, user=user, defaults={"role": MerchantMembership.Role.OWNER}
            )
        return user

    def _print_summary(self, *, kiosk_code: str) -> None:
        site = settings.SITE_URL
        password = settings.DEMO_PASSWORD
        lines = [
            "",
            "SmilePay demo is ready",
            f"  Home            {site}/",
            f"  Customer portal {site}/accounts/login/   {DEMO_CUSTOMER_EMAIL} / {password}",
            f"  Merchant staff  {site}/merchant/   {DEMO_STAFF_EMAIL} / {password}",
            f"  Merchant API    {site}/api/docs/   (create a key on the merchant site)",
            f"  Kiosk           {site}/kiosk/   pairing code {kiosk_code} (valid 30 min)",
            f"  Operator admin  {site}/admin/   create one: python manage.py createsuperuser",
            "",
        ]
        self.stdout.write("\n".join(lines))
