"""Signals other apps may connect to (accounts never imports them).

`customer_state_requested(sender=None, user_id=...)`: the customer websocket sends it on
connect; each receiver returns a dict merged into the "state" message (payments adds
the pending confirmations there).

`account_deletion_viewed(sender=None, user_id=...)`: the delete-account page sends it;
each receiver returns a list of sentences the customer must read before deleting
(payments: money still in the wallet).

`account_deleted(sender=None, user_id=...)`: sent inside the deletion's transaction; a
receiver settles what still waits on the person (payments declines their open ones).

`push_failed(sender=None, user_id=..., tag=...)`: a Web Push to one of the customer's
devices could not be delivered (the push service refused it or the device is gone);
`tag` is the message's tag (payments tags confirmation requests "payment-<id>").
"""

from django.dispatch import Signal

customer_state_requested = Signal()
account_deletion_viewed = Signal()
push_failed = Signal()
account_deleted = Signal()
