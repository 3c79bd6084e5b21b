"""Money as people type and read it, honouring each currency's ISO 4217 exponent.

The one place that turns minor units (integer cents, yen, fils...) into text and typed
text into minor units; everything else (API, merchant site, portal, kiosk, push texts)
goes through it. Pure functions of their arguments and the active language (Django's
`get_language()`, or an explicit `locale=`): amounts are written the way CLDR says for
that language ("$1,234.56" / "1 234,56 $US", "€12.50" / "12,50 €"), always with the
currency's ISO 4217 number of decimals, and read back in the same language's way.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_symbol, parse_pattern
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

# Active ISO 4217 currencies and their minor-unit exponents (ISO 4217, list one). Codes
# without a minor unit (gold, SDRs, test codes) are not currencies a payment can use.
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS "
    "KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
    "MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD "
    "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS "
    "UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
EXPONENTS: dict[str, int] = {
    code: exponent
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes.split()
}

# No amount anywhere may exceed this: far inside a 64-bit column, so that no typed or
# posted number can overflow the database (a 500) before a rule refuses it.
LARGEST_MINOR = 10**15

# Digits with an optional decimal part; grouping in threes only: commas where the decimal
# separator is a point ("1,234.50"), spaces where it is a comma ("1 234,50"), either way
# never a guess between the two.
_PLAIN = re.compile(r"^(?P<units>\d+)(?:[.,](?P<fraction>\d+))?$")
_GROUPED_POINT = re.compile(r"^(?P<units>[1-9]\d{0,2}(?:[, ]\d{3})+)(?:\.(?P<fraction>\d+))?$")
_GROUPED_COMMA = re.compile(r"^(?P<units>[1-9]\d{0,2}(?: \d{3})+)(?:[.,](?P<fraction>\d+))?$")
# No-break spaces (CLDR groups French thousands with U+202F) read as plain spaces.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


class AmountError(ValueError):
    """Typed text that is not an amount of this currency; the message says why, to a person."""


class UnknownCurrency(ValueError):
    """Not an active ISO 4217 currency code."""


def is_currency(code: str) -> bool:
    return code in EXPONENTS


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD."""
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrency(f"{currency!r} is not an ISO 4217 currency") from None


def to_minor(amount: Decimal, currency: str) -> int:
    """An exact decimal amount in minor units; refuses more decimals than the currency has."""
    exponent = currency_exponent(currency)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise AmountError(_too_many_decimals(currency, exponent))
    return int(scaled)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Minor units as a decimal with the currency's number of places (450 USD -> 4.50)."""
    exponent = currency_exponent(currency)
    return Decimal(amount_minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def parse_amount(text: str, currency: str, *, locale: str | None = None) -> int:
    """What a person typed ("12.50", "1,234.50", "12,50", "1 234,50") as minor units.

    ASCII digits with one decimal separator ("." or ","), or thousands grouped in threes
    the way the language groups them: "1,234.50" in English, "1 234,50" in French (where
    "1,234" is one point two three four, too many decimals for a dollar, and refused).
    Refuses anything else instead of guessing: empty text, signs, letters, other digit
    scripts, and more decimals than the currency has. Zero is returned as 0; whether it is
    allowed is the caller's rule.
    """
    exponent = currency_exponent(currency)
    cleaned = " ".join((text or "").translate(_SPACES).split())
    if not cleaned:
        raise AmountError(_("Enter an amount."))
    example_text = example(currency, locale=locale)
    if not cleaned.isascii():
        raise AmountError(
            _("Type the amount with the digits 0-9, e.g. %(example)s.") % {"example": example_text}
        )
    grouped = _GROUPED_COMMA if _decimal_comma(locale) else _GROUPED_POINT
    match = grouped.match(cleaned) or _PLAIN.match(cleaned)
    if match is None:
        raise AmountError(
            _("Type the amount as a number, e.g. %(example)s.") % {"example": example_text}
        )
    units = match["units"].replace(",", "").replace(" ", "")
    fraction = match["fraction"] or ""
    if len(fraction) > exponent:
        raise AmountError(_too_many_decimals(currency, exponent))
    return int(units) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)


def format_amount(amount_minor: int, currency: str, *, locale: str | None = None) -> str:
    """The number alone, grouped: 123456 USD -> "1,234.56" ("1 234,56" in French)."""
    exponent = currency_exponent(currency)
    cldr = _cldr_locale(locale)
    pattern = _with_decimals(cldr.decimal_formats.get(None).pattern, exponent)
    return pattern.apply(to_major(amount_minor, currency), cldr)


def format_money(amount_minor: int, currency: str, *, locale: str | None = None) -> str:
    """Amount and currency as the language writes them: "$1,234.56", "1 234,56 $US"."""
    if not is_currency(currency):
        return f"{amount_minor} (minor units) {currency}"
    exponent = currency_exponent(currency)
    cldr = _cldr_locale(locale)
    pattern = _with_decimals(cldr.currency_formats["standard"].pattern, exponent)
    text = pattern.apply(
        to_major(amount_minor, currency), cldr, currency=currency, currency_digits=False
    )
    return _space_a_lettered_symbol(text, cldr.currency_symbols.get(currency, currency))


def currency_symbol(currency: str, *, locale: str | None = None) -> str:
    """The sign amounts carry in this language: "$" in English, "$US" in French."""
    return get_currency_symbol(currency, locale=_cldr_locale(locale))


def example(currency: str, *, locale: str | None = None) -> str:
    """12.50 in the currency's decimals and the language's way: "12.50", "12,50", "13"."""
    return format_amount(1250 * 10 ** currency_exponent(currency) // 100, currency, locale=locale)


@lru_cache(maxsize=16)
def _cldr_locale_named(name: str) -> Locale:
    return Locale.parse(name)


def _cldr_locale(locale: str | None) -> Locale:
    """The CLDR locale of `locale` ("fr", "en-gb"), else of the active language."""
    return _cldr_locale_named(to_locale(locale or get_language() or "en"))


def _decimal_comma(locale: str | None) -> bool:
    return _cldr_locale(locale).number_symbols["latn"]["decimal"] == ","


def _with_decimals(pattern: str, exponent: int):
    """The CLDR pattern with exactly the ISO 4217 decimals (CLDR's own differ for some,
    e.g. IQD), so that no amount is ever rounded for display."""
    parsed = parse_pattern(pattern)
    parsed.frac_prec = (exponent, exponent)
    return parsed


def _space_a_lettered_symbol(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which babel leaves out: a symbol of letters ("CHF") is
    kept apart from the digits by a no-break space ("CHF 5.00"), "$5.00" stays as it is."""
    if not symbol or unicodedata.category(symbol[-1]) == "Sc" or symbol not in text:
        return text
    before, _sep, after = text.partition(symbol)
    if after[:1].isdigit():
        return f"{before}{symbol}\u00a0{after}"
    return text


def _too_many_decimals(currency: str, exponent: int) -> str:
    if not exponent:
        return _("%(currency)s amounts have no decimals.") % {"currency": currency}
    return _("%(currency)s amounts have at most %(exponent)d decimals.") % {
        "currency": currency,
        "exponent": exponent,
    }
