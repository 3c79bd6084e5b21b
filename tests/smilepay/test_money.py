"""smilepay.money: the one place that reads and writes amounts, per currency exponent."""

from decimal import Decimal

import pytest

from smilepay import money


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12", "USD", 1200),
        (" 12.5 ", "USD", 1250),
        ("1,50", "EUR", 150),
        ("1,234.56", "USD", 123456),
        ("1,234", "USD", 123400),
        ("1500", "JPY", 1500),
        ("1.500", "KWD", 1500),
        ("0", "USD", 0),
    ],
)
def test_a_typed_amount_becomes_minor_units_of_its_currency(text, currency, minor):
    assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    "text",
    ["", "  ", "abc", "-5", "+5", "1e3", "1.2.3", "12,34,5", "\u0664\u0665\u0660", "1.505", "NaN"],
)
def test_anything_else_is_refused_rather_than_guessed(text):
    with pytest.raises(money.AmountError):
        money.parse_amount(text, "USD")


def test_a_zero_decimal_currency_takes_no_decimals():
    with pytest.raises(money.AmountError, match="no decimals"):
        money.parse_amount("12.5", "JPY")


def test_minor_units_are_shown_with_the_currencys_exponent():
    assert money.format_money(123456, "USD") == "1,234.56 USD"
    assert money.format_money(-5, "USD") == "-0.05 USD"
    assert money.format_money(1500, "JPY") == "1,500 JPY"
    assert money.format_money(1500, "KWD") == "1.500 KWD"
    assert money.to_major(450, "USD") == Decimal("4.50")
    assert money.to_minor(Decimal("4.5"), "USD") == 450


def test_only_active_iso_4217_codes_are_currencies():
    assert money.is_currency("USD") and money.is_currency("JPY")
    assert not money.is_currency("XYZ")
    assert not money.is_currency("XAU")  # gold has no minor unit: not a payment currency
    with pytest.raises(money.UnknownCurrency):
        money.currency_exponent("usd")
