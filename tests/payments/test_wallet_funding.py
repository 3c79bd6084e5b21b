"""A new customer can pay from day one: "Add money" in the portal through a funding
provider (demo money here), through the ledger, once per form, capped, audited."""

from __future__ import annotations

import re

import pytest
from django.db.models import Sum

from accounts.models import AuditEvent
from payments import selectors, services
from payments.errors import InvalidRequest
from payments.funding import ChargeOutcome
from payments.models import LedgerEntry, WalletFunding
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f


class RefusingProvider:
    """A stand-in for a card processor that declines (no real processor runs here)."""

    name = "refusing"
    label = "Refusing test provider"
    is_demo = False

    def charge(self, *, funding_id, user_id, amount_minor, currency):
        return ChargeOutcome(False, reference="r-1", message="card declined")


def form_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def balance(user) -> int:
    wallets = selectors.wallet_balance(user_id=user.pk)
    return wallets[0].balance_minor if wallets else 0


@pytest.mark.django_db
def test_a_new_customer_adds_demo_money_in_the_portal_and_the_ledger_balances(client):
    dana = f.customer()
    client.force_login(dana)
    page = client.get("/me/wallet/").content.decode()
    assert "Demo money." in page
    response = client.post(
        "/me/wallet/", {"amount": "25.00", "provider": "demo", "form_token": form_token(page)}
    )
    assert response.status_code == 302
    assert balance(dana) == 2500
    funding = WalletFunding.objects.get(user=dana)
    assert funding.status == "succeeded" and funding.ledger_transaction.kind == "topup"
    entries = LedgerEntry.objects.filter(transaction=funding.ledger_transaction)
    assert sorted(e.amount_minor for e in entries) == [-2500, 2500]
    assert f.ledger_total() == 0
    assert "$25.00 added to your wallet." in client.get("/me/wallet/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("currency", "typed", "added", "refused"),
    [("JPY", "500", 500, "500.5"), ("KWD", "1.250", 1250, "1.2505"), ("USD", "5.25", 525, "5.255")],
)
def test_money_is_added_in_the_currencys_own_decimals(
    client, settings, currency, typed, added, refused
):
    settings.DEFAULT_CURRENCY = currency
    dana = f.customer(currency=currency)
    client.force_login(dana)
    page = client.get("/me/wallet/").content.decode()
    wrong = client.post(
        "/me/wallet/", {"amount": refused, "provider": "demo", "form_token": form_token(page)}
    )
    assert wrong.status_code == 200 and balance(dana) == 0
    client.post(
        "/me/wallet/", {"amount": typed, "provider": "demo", "form_token": form_token(page)}
    )
    assert balance(dana) == added


@pytest.mark.django_db
def test_a_french_customer_adds_one_fifty_with_a_decimal_comma(client):
    dana = f.customer()
    client.force_login(dana)
    page = client.get("/me/wallet/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'value="20,00"' in page and 'type="number"' not in page
    client.post(
        "/me/wallet/",
        {"amount": "1,50", "provider": "demo", "form_token": form_token(page)},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert balance(dana) == 150


@pytest.mark.django_db
def test_a_double_click_of_the_same_form_adds_the_money_once(client):
    dana = f.customer()
    client.force_login(dana)
    token = form_token(client.get("/me/wallet/").content.decode())
    for _ in range(2):
        client.post("/me/wallet/", {"amount": "10.00", "provider": "demo", "form_token": token})
    assert balance(dana) == 1000
    assert WalletFunding.objects.filter(user=dana).count() == 1


@pytest.mark.django_db
def test_one_top_up_is_capped(settings):
    settings.WALLET_FUNDING_MAX_MINOR = 5000
    dana = f.customer()
    with pytest.raises(InvalidRequest) as refused:
        services.wallet_fund(user_id=dana.pk, amount_minor=5001, provider="demo", form_token="a")
    assert refused.value.code == "over_funding_limit"
    assert "$50.00" in refused.value.message
    assert balance(dana) == 0


@pytest.mark.django_db
def test_a_day_of_top_ups_is_capped(settings, client):
    settings.WALLET_FUNDING_DAILY_MAX_MINOR = 6000
    dana = f.customer()
    services.wallet_fund(user_id=dana.pk, amount_minor=4000, provider="demo", form_token="a")
    with pytest.raises(InvalidRequest) as refused:
        services.wallet_fund(user_id=dana.pk, amount_minor=2001, provider="demo", form_token="b")
    assert refused.value.code == "over_daily_funding_limit"
    services.wallet_fund(user_id=dana.pk, amount_minor=2000, provider="demo", form_token="c")
    assert balance(dana) == 6000
    client.force_login(dana)
    page = client.post("/me/wallet/", {"amount": "1", "provider": "demo", "form_token": "d"})
    assert page.status_code == 200 and "You can add $0.00 more today." in page.content.decode()


@pytest.mark.django_db
def test_adding_money_is_audited():
    dana = f.customer()
    funding = services.wallet_fund(
        user_id=dana.pk, amount_minor=1500, provider="demo", form_token="a"
    )
    wallet = AuditEvent.objects.filter(name__startswith="wallet.").order_by("created_at", "id")
    names = list(wallet.values_list("name", flat=True))
    assert names == ["wallet.funding_requested", "wallet.funded"]
    funded = AuditEvent.objects.get(name="wallet.funded").data
    assert funded["funding_id"] == funding.pk and funded["amount_minor"] == 1500
    assert funded["transaction_id"] == funding.ledger_transaction_id


@pytest.mark.django_db
def test_without_an_enabled_provider_nobody_can_add_money(settings, client):
    settings.WALLET_FUNDING_PROVIDERS = []
    dana = f.customer()
    with pytest.raises(InvalidRequest):
        services.wallet_fund(user_id=dana.pk, amount_minor=100, provider="demo", form_token="a")
    client.force_login(dana)
    page = client.get("/me/wallet/").content.decode()
    assert "not available" in page and 'name="form_token"' not in page
    assert 'class="kpi-action"' not in client.get("/me/").content.decode()


@pytest.mark.django_db
def test_a_provider_that_refuses_moves_no_money_and_says_why(settings, client):
    settings.WALLET_FUNDING_PROVIDERS = ["tests.payments.test_wallet_funding.RefusingProvider"]
    dana = f.customer()
    client.force_login(dana)
    page = client.get("/me/wallet/").content.decode()
    assert "Demo money." not in page
    client.post(
        "/me/wallet/", {"amount": "5", "provider": "refusing", "form_token": form_token(page)}
    )
    assert balance(dana) == 0
    assert WalletFunding.objects.get(user=dana).status == "failed"
    assert "card declined" in client.get("/me/wallet/").content.decode()


@pytest.mark.django_db
def test_the_dashboard_offers_to_add_money_and_says_it_is_demo_money(client):
    client.force_login(f.customer())
    page = client.get("/me/").content.decode()
    assert 'href="/me/wallet/"' in page and "demo money" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_concurrent_top_ups_never_pass_the_daily_cap_together(on_postgres, settings):
    settings.WALLET_FUNDING_DAILY_MAX_MINOR = 1000
    dana = f.customer()
    # The wallet exists before the race: creating it would queue the threads on its own.
    services.wallet_fund(user_id=dana.pk, amount_minor=1, provider="demo", form_token="warm")

    def fund(i: int) -> str:
        return services.wallet_fund(
            user_id=dana.pk, amount_minor=600, provider="demo", form_token=f"t{i}"
        ).status

    results, errors = run_concurrently(4, fund, hold_before_writing=WalletFunding)
    assert len(errors) == 3 and all(e.code == "over_daily_funding_limit" for e in errors)
    assert results.count("succeeded") == 1
    added = WalletFunding.objects.aggregate(total=Sum("amount_minor"))["total"]
    assert added == 601 and balance(dana) == 601


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_concurrent_clicks_of_one_form_add_the_money_once(on_postgres):
    dana = f.customer()
    results, errors = run_concurrently(
        4,
        lambda i: (
            services.wallet_fund(
                user_id=dana.pk, amount_minor=700, provider="demo", form_token="same"
            ).pk
        ),
    )
    assert errors == [] and len(set(results)) == 1
    assert balance(dana) == 700


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_without_the_wallet_lock_the_daily_cap_is_overrun(on_postgres, settings, monkeypatch):
    """The control for the cap test above: the lock is what keeps the cap."""
    settings.WALLET_FUNDING_DAILY_MAX_MINOR = 1000
    dana = f.customer()
    services.wallet_fund(user_id=dana.pk, amount_minor=1, provider="demo", form_token="warm")
    without_row_locks(monkeypatch)
    results, _ = run_concurrently(
        4,
        lambda i: (
            services.wallet_fund(
                user_id=dana.pk, amount_minor=600, provider="demo", form_token=f"t{i}"
            ).status
        ),
        hold_before_writing=WalletFunding,
    )
    assert results.count("succeeded") == 4


class UndecidedProvider(RefusingProvider):
    """Cannot say yet what became of a charge (a processor whose answer is delayed)."""

    name = "undecided"

    def charge_status(self, *, funding_id):
        return None


def interrupted_funding(user, *, provider: str = "demo", amount_minor: int = 2000):
    """What a process killed between the provider's charge and its record leaves."""
    from datetime import timedelta

    from django.utils import timezone

    from payments import funding as funding_module

    pending, _ = funding_module._record_intent(
        user_id=user.pk,
        amount_minor=amount_minor,
        currency="USD",
        provider=provider,
        form_token=f"crashed-{provider}",
    )
    WalletFunding.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    return pending


@pytest.mark.django_db
def test_a_funding_interrupted_by_a_crash_is_settled_with_its_provider_once():
    from payments.tasks import settle_interrupted_fundings

    dana = f.customer()
    pending = interrupted_funding(dana)
    assert settle_interrupted_fundings() == 1
    assert settle_interrupted_fundings() == 0
    assert WalletFunding.objects.get(pk=pending.pk).status == "succeeded"
    assert balance(dana) == 2000
    assert f.ledger_total() == 0


@pytest.mark.django_db
def test_a_provider_that_cannot_tell_yet_is_asked_again_later(settings):
    from payments.tasks import settle_interrupted_fundings

    settings.WALLET_FUNDING_PROVIDERS = ["demo", f"{__name__}.UndecidedProvider"]
    dana = f.customer()
    pending = interrupted_funding(dana, provider="undecided")
    assert settle_interrupted_fundings() == 0
    assert WalletFunding.objects.get(pk=pending.pk).status == "pending"
    assert balance(dana) == 0
