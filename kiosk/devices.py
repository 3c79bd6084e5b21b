"""The kiosk device's cookie (its token: merchants.services pairs, merchants.selectors
reads it back), and what the counter is told when unpairing is rate-limited."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DEVICE_COOKIE = "smilepay_kiosk"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
UNPAIR_LIMITED = _("Too many tries. Wait 15 minutes, or revoke the kiosk on the merchant site.")
