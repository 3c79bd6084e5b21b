"""Signals other apps may connect to (accounts never imports them).

`customer_state_requested(sender=None, user_id=...)`: the customer websocket sends it on
connect; each receiver returns a dict merged into the "state" message (payments adds
the pending confirmations there).
"""

from django.dispatch import Signal

customer_state_requested = Signal()
