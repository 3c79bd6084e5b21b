"""How many customers one face search may cover before a stranger's smile finds somebody.

The threshold is calibrated per comparison (``match_fmr()``, 3.6e-5 for dlib alone), and
a kiosk search compares the probe with every customer it covers. So the chance that a
person who is not enrolled lands within the threshold of somebody grows with the number
searched: ``1 - (1 - FMR)^N``, 1% at 279 customers, 3.5% at 1,000. Beyond the open-search
budget (accounts/face_search.py) every kiosk asks for the last 4 phone digits, which
narrow the search to the few customers whose number ends in them. A match still waits
for the customer's phone unless the search was small enough for the stricter
auto-approve budget: only then may money move without the phone.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.face_search import open_search_allowed
from accounts.selectors import face_enrolled_count, face_pay_digits_always_asked
from smilepay.faces import false_match_risk

# Why a kiosk asks for phone digits before the smile, in the words the page shows.
DIGITS_ASKED_BY_SHOP = "shop"
DIGITS_ASKED_FOR_MANY_CUSTOMERS = "many_customers"
# Some customer wants them every time; which one must not show, so everybody is asked.
DIGITS_ASKED_BY_A_CUSTOMER = "customer_setting"
DIGITS_MESSAGES = {
    DIGITS_ASKED_BY_SHOP: _("This shop asks for the last 4 digits of your phone."),
    DIGITS_ASKED_FOR_MANY_CUSTOMERS: (
        _(
            "Many people pay with their face here: enter the last 4 digits of your phone "
            "so we find you."
        )
    ),
    DIGITS_ASKED_BY_A_CUSTOMER: _("Enter the last 4 digits of your phone so we find you."),
}


def auto_approve_allowed(*, searched: int) -> bool:
    """May a match from a search over this many customers be paid without the phone?"""
    return false_match_risk(identities=searched) <= settings.KIOSK_AUTO_APPROVE_MAX_RISK


def phone_digits_reason(*, kiosk_requires_digits: bool) -> str:
    """Why the kiosk must ask for phone digits before the smile; "" when it need not."""
    if kiosk_requires_digits:
        return DIGITS_ASKED_BY_SHOP
    if not open_search_allowed(identities=face_enrolled_count()):
        return DIGITS_ASKED_FOR_MANY_CUSTOMERS
    # Asking after the first smile would make that customer smile twice.
    if face_pay_digits_always_asked():
        return DIGITS_ASKED_BY_A_CUSTOMER
    return ""
