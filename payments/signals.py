"""Signals other apps listen to. Sent on commit only, so listeners see committed rows."""

from django.dispatch import Signal

# kwargs: payment_id, status, kiosk_id, customer_id, reason
payment_status_changed = Signal()
