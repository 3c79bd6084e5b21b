"""Create the demo merchant, kiosk and logins if they are absent; safe to run every start."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditEvent
from merchants import services as merchant_services
from merchants.models import Kiosk, Merchant, MerchantMembership
from merchants.services import kiosk_issue_pairing_code
from payments import services
from payments.models import LedgerAccount, LedgerTransaction, Payment, RecognitionAttempt
from payments.services import wallet_topup
from payments.signals import demo_seeded

DEMO_MERCHANT_SLUG = "demo-cafe"
DEMO_STAFF_EMAIL = "staff@demo-cafe.example"
DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_CUSTOMER_PHONE = "+12025550123"
DEMO_WALLET_MINOR = 5000
# (days ago, amount, what the customer did): a few past kiosk payments, so the portal's
# history and the merchant's charts show something on the first start.
DEMO_HISTORY = [
    (12, 450, "approve"),
    (9, 320, "approve"),
    (6, 1280, "approve"),
    (4, 590, "decline"),
    (2, 375, "approve"),
    (1, 640, "approve"),
]


class Command(BaseCommand):
    help = "Create demo data (Demo Café, a kiosk, a staff and a customer login) if absent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet: bool = False, **options) -> None:
        with transaction.atomic():
            merchant, kiosk = self._merchant_and_kiosk()
            self._user(DEMO_STAFF_EMAIL, "Sam Staff", phone=None, merchant=merchant)
            customer = self._user(DEMO_CUSTOMER_EMAIL, "Casey Customer", phone=DEMO_CUSTOMER_PHONE)
            # The demo shop finds the customer by phone, which must be verified.
            if customer.phone_verified_at is None:
                customer.phone_verified_at = timezone.now()
                customer.save(update_fields=["phone_verified_at"])
            # Demo money (there is no card processing): fund the wallet once, with what
            # the past payments spent on top, so it still shows 50.00.
            if not LedgerAccount.objects.filter(kind="customer", user=customer).exists():
                spent = sum(amount for _, amount, answer in DEMO_HISTORY if answer == "approve")
                wallet_topup(
                    user_id=customer.pk,
                    amount_minor=DEMO_WALLET_MINOR + spent,
                    currency=merchant.currency,
                    memo="demo wallet",
                )
                # Before the shop's webhook endpoint exists: the history sends no webhooks.
                self._history(merchant, kiosk, customer)
            demo_seeded.send(sender=self.__class__, merchant=merchant)
        # A code cannot be shown again once hashed, so each start issues a fresh one.
        code = kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
        if not quiet:
            self._print_summary(kiosk_code=code)

    def _merchant_and_kiosk(self) -> tuple[Merchant, Kiosk]:
        merchant = merchant_services.merchant_create(
            name="Demo Café", slug=DEMO_MERCHANT_SLUG, currency=settings.DEFAULT_CURRENCY
        )
        # Through the service like any kiosk (its audit event); a second start reuses it.
        kiosk = Kiosk.objects.filter(merchant=merchant, name="Counter 1").first()
        if kiosk is None:
            kiosk = merchant_services.kiosk_create(
                merchant_id=merchant.pk, name="Counter 1", location="Front counter"
            )
        return merchant, kiosk

    def _history(self, merchant: Merchant, kiosk: Kiosk, customer) -> None:
        """Past kiosk payments through the real services, then dated back."""
        now = timezone.now()
        for days_ago, amount, answer in DEMO_HISTORY:
            payment = services.payment_create(
                merchant_id=merchant.pk,
                amount_minor=amount,
                currency=merchant.currency,
                kiosk_id=kiosk.pk,
            )
            services.payment_start_matching(payment_id=payment.pk)
            attempt = services.recognition_attempt_record(
                payment_id=payment.pk,
                kiosk_id=kiosk.pk,
                outcome="matched",
                customer_id=customer.pk,
                best_distance=0.21,
                margin=0.2,
                liveness_score=0.93,
            )
            services.payment_match(
                payment_id=payment.pk, customer_id=customer.pk, attempt_id=attempt.pk
            )
            decide = services.payment_approve if answer == "approve" else services.payment_decline
            decide(payment_id=payment.pk, customer_id=customer.pk)
            when = now - timedelta(days=days_ago, hours=days_ago % 5, minutes=7 * days_ago)
            Payment.objects.filter(pk=payment.pk).update(
                created_at=when,
                matched_at=when + timedelta(seconds=4),
                decided_at=when + timedelta(seconds=4 + days_ago % 7 + 5),
                expires_at=when + timedelta(minutes=10),
            )
            AuditEvent.objects.filter(payment_id=payment.pk).update(created_at=when)
            RecognitionAttempt.objects.filter(pk=attempt.pk).update(created_at=when)
            LedgerTransaction.objects.filter(payment=payment).update(created_at=when)

    def _user(self, email: str, name: str, *, phone: str | None, merchant=None):
        user_model = get_user_model()
        user = user_model.objects.filter(email=email).first()
        if user is None:
            user = user_model.objects.create_user(
                email, settings.DEMO_PASSWORD, full_name=name, phone_e164=phone
            )
        if merchant is not None:
            merchant_services.membership_set(
                merchant_id=merchant.pk, user_id=user.pk, role=MerchantMembership.Role.OWNER
            )
        return user

    def _print_summary(self, *, kiosk_code: str) -> None:
        site = settings.SITE_URL
        password = settings.DEMO_PASSWORD
        shop = (
            f"  Demo web shop   {site}/shop/   pays online; confirm on {site}/me/ as the customer"
        )
        lines = [
            "",
            "SmilePay demo is ready",
            f"  Home            {site}/",
            f"  Customer portal {site}/accounts/login/   {DEMO_CUSTOMER_EMAIL} / {password}",
            f"  Merchant staff  {site}/merchant/   {DEMO_STAFF_EMAIL} / {password}",
            f"  Merchant API    {site}/api/docs/   (create a key on the merchant site)",
            *([shop] if settings.DEMO_SHOP else []),
            f"  Kiosk           {site}/kiosk/   pairing code {kiosk_code} (valid 30 min)",
            f"  Operator admin  {site}/admin/   create one: python manage.py createsuperuser",
            "",
        ]
        self.stdout.write("\n".join(lines))
