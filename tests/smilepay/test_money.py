"""smilepay.money: the one place that reads and writes amounts, per currency exponent."""

from decimal import Decimal

import pytest
from django.utils import translation

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
    [
        "",
        "  ",
        "abc",
        "-5",
        "+5",
        "1e3",
        "1.2.3",
        "12,34,5",
        "\u0664\u0665\u0660",
        "1.505",
        "NaN",
        "0,001",
    ],
)
def test_anything_else_is_refused_rather_than_guessed(text):
    with pytest.raises(money.AmountError):
        money.parse_amount(text, "USD")


def test_a_zero_decimal_currency_takes_no_decimals():
    with pytest.raises(money.AmountError, match="no decimals"):
        money.parse_amount("12.5", "JPY")


NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("minor", "currency", "english", "french"),
    [
        (123456, "USD", "$1,234.56", f"1{NNBSP}234,56{NBSP}$US"),
        (-5, "USD", "-$0.05", f"-0,05{NBSP}$US"),
        (1250, "EUR", "€12.50", f"12,50{NBSP}€"),
        (1500, "JPY", "¥1,500", f"1{NNBSP}500{NBSP}JPY"),
        (1500, "KWD", f"KWD{NBSP}1.500", f"1,500{NBSP}KWD"),
        (500, "CHF", f"CHF{NBSP}5.00", f"5,00{NBSP}CHF"),
        # CLDR gives the dinar no decimals; ISO 4217 three: an amount is never rounded.
        (12345, "IQD", f"IQD{NBSP}12.345", f"12,345{NBSP}IQD"),
    ],
)
def test_money_is_written_as_each_language_writes_it_with_the_iso_decimals(
    minor, currency, english, french
):
    assert money.format_money(minor, currency, locale="en") == english
    assert money.format_money(minor, currency, locale="fr") == french


def test_money_follows_the_active_language():
    with translation.override("fr"):
        assert money.format_money(450, "USD") == f"4,50{NBSP}$US"
        assert money.format_amount(123456, "USD") == f"1{NNBSP}234,56"
        assert money.example("EUR") == "12,50"
    with translation.override("en"):
        assert money.format_money(450, "USD") == "$4.50"
        assert money.format_amount(123456, "USD") == "1,234.56"


def test_minor_units_convert_to_and_from_decimals_with_the_currencys_exponent():
    assert money.to_major(450, "USD") == Decimal("4.50")
    assert money.to_minor(Decimal("4.5"), "USD") == 450


@pytest.mark.parametrize(
    ("text", "minor"),
    [("12,50", 1250), ("12.50", 1250), ("1 234,56", 123456), (f"1{NNBSP}234,56", 123456)],
)
def test_french_amounts_are_read_back_as_french_writes_them(text, minor):
    assert money.parse_amount(text, "USD", locale="fr") == minor


def test_what_the_page_writes_in_a_language_reads_back_in_it():
    for language in ("en", "fr"):
        shown = money.format_amount(123456789, "USD", locale=language)
        assert money.parse_amount(shown, "USD", locale=language) == 123456789


def test_a_french_comma_is_a_decimal_point_never_a_thousands_separator():
    # "1,234" is 1 234 in English; in French it is 1.234, too many decimals for a dollar.
    assert money.parse_amount("1,234", "USD", locale="en") == 123400
    with pytest.raises(money.AmountError, match="2 décimales"), translation.override("fr"):
        money.parse_amount("1,234", "USD", locale="fr")


def test_only_active_iso_4217_codes_are_currencies():
    assert money.is_currency("USD") and money.is_currency("JPY")
    assert not money.is_currency("XYZ")
    assert not money.is_currency("XAU")  # gold has no minor unit: not a payment currency
    with pytest.raises(money.UnknownCurrency):
        money.currency_exponent("usd")
