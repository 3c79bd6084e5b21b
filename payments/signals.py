"""Signals other apps listen to. Sent on commit only, so listeners see committed rows."""

from django.dispatch import Signal

# kwargs: payment_id, status, kiosk_id, customer_id, reason. Sent on creation, on every
# transition, and when what a screen shows changes without one (a push failed): listeners
# re-read the payment rather than trusting that the status moved.
payment_status_changed = Signal()

# kwargs: merchant. Sent by `manage.py seed_demo` inside its transaction, once the demo
# merchant exists, so that optional demo apps (the demo shop) register themselves with it.
demo_seeded = Signal()
