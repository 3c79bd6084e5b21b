"""How wide a face search may be, and so whom a new face must not resemble.

A kiosk search compares a face with every customer it covers; at the calibrated
threshold each comparison is a false match with probability ``match_fmr()``, so the
chance that a stranger matches somebody is ``false_match_risk(identities=N)``. While
that stays within ``KIOSK_OPEN_SEARCH_MAX_RISK`` a kiosk may search everyone; beyond it
every search is narrowed by the last 4 phone digits (kiosk/search_policy.py).

Enrolment follows the same line: a new face is refused as a duplicate when it matches a
customer it could be searched together with. Checking it against everyone once enrolment
is that wide would refuse honest newcomers by the same arithmetic (14% of captures at
1,000 customers, nearly all at 10,000), and decrypt every template for each capture.
"""

from __future__ import annotations

from django.conf import settings

from accounts.models import User
from accounts.selectors import face_enrolled_count
from smilepay.faces import false_match_risk


def open_search_allowed(*, identities: int) -> bool:
    """May a search without phone digits cover this many customers?"""
    return false_match_risk(identities=identities) <= settings.KIOSK_OPEN_SEARCH_MAX_RISK


def searched_together_with(*, user_id: int) -> list[int] | None:
    """Other customers a kiosk search could compare with this one: None means everyone
    (open searches are allowed), else those whose phone number ends in the same digits."""
    if open_search_allowed(identities=face_enrolled_count() + 1):
        return None
    last4 = User.objects.filter(pk=user_id).values_list("phone_last4", flat=True).first()
    if not last4:
        return []
    peers = User.objects.filter(phone_last4=last4).exclude(pk=user_id)
    return list(peers.values_list("pk", flat=True))
