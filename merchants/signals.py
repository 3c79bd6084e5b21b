"""Signals the apps above listen to (payments, kiosk). Sent on commit only, so listeners
see committed rows; merchants imports neither app."""

from django.dispatch import Signal

# kwargs: kiosk_id, keep_token_hash (the hash of the device just paired). Every other open
# socket of the kiosk (an earlier device's) must close at once.
kiosk_paired = Signal()

# kwargs: kiosk_id, merchant_id. The kiosk's device token no longer works: its open
# payments are canceled (payments) and every socket of it is closed (kiosk).
kiosk_revoked = Signal()
