"""Money as people type and read it, honouring each currency's ISO 4217 exponent.

The one place that turns minor units (integer cents, yen, fils...) into text and typed
text into minor units; everything else (API, merchant site, portal, kiosk, push texts)
goes through it. Pure functions (Django only for translating the error messages).
English formatting for now: per-locale formatting (e.g. with babel) would change
`format_amount` alone.
"""

from __future__ import annotations

import re
from decimal import Decimal

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

# Digits with an optional decimal part; grouping commas only in threes ("1,234.50").
_PLAIN = re.compile(r"^(?P<units>\d+)(?:[.,](?P<fraction>\d+))?$")
_GROUPED = re.compile(r"^(?P<units>\d{1,3}(?:,\d{3})+)(?:\.(?P<fraction>\d+))?$")


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


def parse_amount(text: str, currency: str) -> int:
    """What a person typed ("12.50", "1,234.50", "12,50") as minor units of `currency`.

    ASCII digits only, with one decimal separator ("." or ",") or grouping commas in
    threes. Refuses anything else instead of guessing: empty text, signs, letters,
    other digit scripts, and more decimals than the currency has. Zero is returned as 0;
    whether it is allowed is the caller's rule.
    """
    exponent = currency_exponent(currency)
    cleaned = (text or "").strip()
    if not cleaned:
        raise AmountError(_("Enter an amount."))
    if not cleaned.isascii():
        raise AmountError(
            _("Type the amount with the digits 0-9, e.g. %(example)s.")
            % {"example": example(currency)}
        )
    match = _GROUPED.match(cleaned) or _PLAIN.match(cleaned)
    if match is None:
        raise AmountError(
            _("Type the amount as a number, e.g. %(example)s.") % {"example": example(currency)}
        )
    units = match["units"].replace(",", "")
    fraction = match["fraction"] or ""
    if len(fraction) > exponent:
        raise AmountError(_too_many_decimals(currency, exponent))
    return int(units) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)


def format_amount(amount_minor: int, currency: str) -> str:
    """The number alone, grouped: 123456 USD -> "1,234.56", 1500 JPY -> "1,500"."""
    exponent = currency_exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    units, fraction = divmod(abs(amount_minor), 10**exponent)
    if not exponent:
        return f"{sign}{units:,}"
    return f"{sign}{units:,}.{fraction:0{exponent}d}"


def format_money(amount_minor: int, currency: str) -> str:
    """Amount and code, the way every page and message shows money: "1,234.56 USD"."""
    if not is_currency(currency):
        return f"{amount_minor} (minor units) {currency}"
    return f"{format_amount(amount_minor, currency)} {currency}"


def example(currency: str) -> str:
    return format_amount(1250 * 10 ** currency_exponent(currency) // 100, currency)


def _too_many_decimals(currency: str, exponent: int) -> str:
    if not exponent:
        return _("%(currency)s amounts have no decimals.") % {"currency": currency}
    return _("%(currency)s amounts have at most %(exponent)d decimals.") % {
        "currency": currency,
        "exponent": exponent,
    }
