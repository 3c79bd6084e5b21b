"""Online checkout: the customer confirms a merchant's payment request on their phone
with a 1:1 face check plus the smile challenge (or their password without face pay).

See docs/online-checkout.md.
"""
