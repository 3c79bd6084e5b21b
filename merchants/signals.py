"""Signals the apps above listen to (payments, kiosk); merchants imports neither app."""

from django.dispatch import Signal

# Sent on commit of a pairing. kwargs: kiosk_id, keep_token_hash (the hash of the device
# just paired). Every other open socket of the kiosk (an earlier device's) must close at once
# (kiosk), and the earlier device's open payments are canceled (payments).
kiosk_paired = Signal()

# Sent inside the revoke's transaction, with the kiosk row locked. kwargs: kiosk_id,
# merchant_id. The kiosk's device token no longer works: its open payments are canceled
# (payments, in that same transaction: a failure undoes the revoke) and every socket of it
# is closed (kiosk, on commit).
kiosk_revoked = Signal()
