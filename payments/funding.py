"""Customers add money to their own wallet through a funding provider.

A provider answers one question, "did this charge succeed?", for an amount the customer
asked for. `demo` always says yes and charges nothing: demo money, labelled as such on
every page, on by default only where HTTPS is off (WALLET_FUNDING_PROVIDERS). A real
provider (a card processor) is a class with the same three attributes and `charge`,
named by its dotted path in that setting.

The money moves like an operator's top-up: double-entry, from the funding account to
the customer's wallet. The request is recorded first (under the wallet's lock, where
the per-day cap is checked), the provider is asked outside any transaction, and the
outcome is recorded after: a provider's network call never holds a database lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit
from payments import postings
from payments.errors import InvalidRequest
from payments.models import LedgerTransaction, WalletFunding
from payments.templatetags.money import money

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChargeOutcome:
    succeeded: bool
    reference: str = ""
    message: str = ""  # shown to the customer when it failed


class FundingProvider(Protocol):
    name: str
    label: str  # what the customer reads next to the amount
    is_demo: bool  # demo money: nothing real is charged

    def charge(
        self, *, funding_id: int, user_id: int, amount_minor: int, currency: str
    ) -> ChargeOutcome: ...

    def charge_status(self, *, funding_id: int) -> ChargeOutcome | None:
        """What became of the charge for this funding, asked when its answer was never
        recorded (the process died in between); None: the provider cannot tell yet."""
        ...


class DemoProvider:
    name = "demo"
    label = _("Demo money")
    is_demo = True

    def charge(
        self, *, funding_id: int, user_id: int, amount_minor: int, currency: str
    ) -> ChargeOutcome:
        return ChargeOutcome(succeeded=True, reference=f"demo-{funding_id}")

    def charge_status(self, *, funding_id: int) -> ChargeOutcome | None:
        return ChargeOutcome(succeeded=True, reference=f"demo-{funding_id}")


BUILT_IN = {"demo": DemoProvider}


def enabled_providers() -> list[FundingProvider]:
    """The providers WALLET_FUNDING_PROVIDERS switches on, in its order."""
    providers = []
    for entry in settings.WALLET_FUNDING_PROVIDERS:
        cls = BUILT_IN.get(entry) or import_string(entry)
        providers.append(cls())
    return providers


def provider_named(name: str) -> FundingProvider:
    for provider in enabled_providers():
        if provider.name == name:
            return provider
    raise InvalidRequest("funding_unavailable", str(_("Adding money this way is not available.")))


def funding_limits_left(*, user_id: int) -> int:
    """How much more the customer may still add in the current 24 hours (minor units)."""
    return max(0, settings.WALLET_FUNDING_DAILY_MAX_MINOR - _added_last_day(user_id))


def _added_last_day(user_id: int) -> int:
    since = timezone.now() - timedelta(hours=24)
    total = (
        WalletFunding.objects.filter(
            user_id=user_id,
            created_at__gte=since,
            status__in=[WalletFunding.Status.PENDING, WalletFunding.Status.SUCCEEDED],
        ).aggregate(total=Sum("amount_minor"))["total"]
        or 0
    )
    return int(total)


def wallet_fund(
    *,
    user_id: int,
    amount_minor: int,
    provider: str,
    form_token: str,
    currency: str | None = None,
) -> WalletFunding:
    """Add money to the customer's wallet; the same form token never adds it twice."""
    currency = currency or settings.DEFAULT_CURRENCY
    source = provider_named(provider)
    _check_request(amount_minor=amount_minor, form_token=form_token, currency=currency)
    funding, created = _record_intent(
        user_id=user_id,
        amount_minor=amount_minor,
        currency=currency,
        provider=source.name,
        form_token=form_token,
    )
    if not created:
        return funding
    try:
        outcome = source.charge(
            funding_id=funding.pk, user_id=user_id, amount_minor=amount_minor, currency=currency
        )
    except Exception as exc:  # a provider's failure must not leave the funding pending
        logger.warning("funding %s: provider %s failed: %s", funding.pk, source.name, exc)
        outcome = ChargeOutcome(False, message=str(_("The payment provider did not answer.")))
    return wallet_funding_complete(funding_id=funding.pk, outcome=outcome)


def _check_request(*, amount_minor: int, form_token: str, currency: str) -> None:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise InvalidRequest("invalid_amount", str(_("Enter an amount above zero.")))
    cap = settings.WALLET_FUNDING_MAX_MINOR
    if amount_minor > cap:
        raise InvalidRequest(
            "over_funding_limit",
            str(_("You can add at most %(cap)s at a time.") % {"cap": money(cap, currency)}),
        )
    if not form_token or len(form_token) > 64:
        raise InvalidRequest(
            "bad_form_token", str(_("This form has expired. Reload the page and try again."))
        )


def _record_intent(
    *, user_id: int, amount_minor: int, currency: str, provider: str, form_token: str
) -> tuple[WalletFunding, bool]:
    try:
        with transaction.atomic():
            # The wallet's lock puts one customer's requests in a row: the second of two
            # clicks sees the first, and two different requests cannot both pass the cap.
            wallet = postings.wallet_for(user_id=user_id, currency=currency)
            postings.lock_accounts(wallet)
            earlier = WalletFunding.objects.filter(user_id=user_id, form_token=form_token).first()
            if earlier is not None:
                return earlier, False
            left = settings.WALLET_FUNDING_DAILY_MAX_MINOR - _added_last_day(user_id)
            if amount_minor > left:
                raise InvalidRequest(
                    "over_daily_funding_limit",
                    str(
                        _("You can add %(left)s more today.")
                        % {"left": money(max(left, 0), currency)}
                    ),
                )
            funding = WalletFunding.objects.create(
                user_id=user_id,
                provider=provider,
                amount_minor=amount_minor,
                currency=currency,
                form_token=form_token,
            )
            audit(
                "wallet.funding_requested",
                data={
                    "user_id": user_id,
                    "funding_id": funding.pk,
                    "provider": provider,
                    "amount_minor": amount_minor,
                    "currency": currency,
                },
            )
            return funding, True
    except IntegrityError:
        # Without row locks (or on a database that ignores them) the unique token decides.
        return WalletFunding.objects.get(user_id=user_id, form_token=form_token), False


def wallet_funding_complete(*, funding_id: int, outcome: ChargeOutcome) -> WalletFunding:
    """Record the provider's answer once: on success the money moves through the ledger."""
    with transaction.atomic():
        funding = WalletFunding.objects.select_for_update().get(pk=funding_id)
        if funding.status != WalletFunding.Status.PENDING:
            return funding
        funding.completed_at = timezone.now()
        funding.provider_reference = outcome.reference[:128]
        if not outcome.succeeded:
            funding.status = WalletFunding.Status.FAILED
            funding.failure_message = outcome.message[:200]
            funding.save(
                update_fields=["status", "completed_at", "provider_reference", "failure_message"]
            )
            audit(
                "wallet.funding_failed", data={"user_id": funding.user_id, "funding_id": funding.pk}
            )
            return funding
        wallet = postings.wallet_for(user_id=funding.user_id, currency=funding.currency)
        source = postings.funding_account_for(currency=funding.currency)
        rows = postings.lock_accounts(wallet, source)
        txn = postings.post(
            kind=LedgerTransaction.Kind.TOPUP,
            lines=[
                (rows[source.pk], -funding.amount_minor),
                (rows[wallet.pk], funding.amount_minor),
            ],
            memo=f"wallet funding {funding.pk} ({funding.provider})",
        )
        funding.status = WalletFunding.Status.SUCCEEDED
        funding.ledger_transaction = txn
        funding.save(
            update_fields=["status", "completed_at", "provider_reference", "ledger_transaction"]
        )
        audit(
            "wallet.funded",
            data={
                "user_id": funding.user_id,
                "funding_id": funding.pk,
                "provider": funding.provider,
                "amount_minor": funding.amount_minor,
                "currency": funding.currency,
                "transaction_id": txn.pk,
            },
        )
    return funding


def settle_interrupted_fundings(*, limit: int = 100) -> int:
    """Settle the fundings left pending by a process that died between the provider's
    charge and its record: each provider says what became of its charge, and the wallet
    is credited (or the request failed) as if the answer had come at once. Until then the
    customer sees it pending and it counts against the day's cap, so none is left behind.
    A provider that cannot tell yet is asked again on the next sweep."""
    cutoff = timezone.now() - timedelta(seconds=settings.WALLET_FUNDING_SETTLE_AFTER_SECONDS)
    stuck = WalletFunding.objects.filter(
        status=WalletFunding.Status.PENDING, created_at__lte=cutoff
    ).values_list("pk", "provider")[:limit]
    settled = 0
    for funding_id, provider_name in list(stuck):
        outcome = _charge_status(funding_id=funding_id, provider_name=provider_name)
        if outcome is None:
            continue
        wallet_funding_complete(funding_id=funding_id, outcome=outcome)
        settled += 1
    return settled


def _charge_status(*, funding_id: int, provider_name: str) -> ChargeOutcome | None:
    try:
        provider = provider_named(provider_name)
        return provider.charge_status(funding_id=funding_id)
    except Exception as exc:  # a provider switched off or down: ask again next sweep
        logger.warning("funding %s: no status from %s: %s", funding_id, provider_name, exc)
        return None
