"""Personas for kiosk tests: a café with a counter kiosk."""

from __future__ import annotations

from merchants.models import Kiosk, Merchant


def make_kiosk(*, name: str = "Counter 1", merchant_name: str = "Corner Café", **fields) -> Kiosk:
    slug = merchant_name.lower().replace(" ", "-").replace("é", "e")
    merchant, _ = Merchant.objects.get_or_create(slug=slug, defaults={"name": merchant_name})
    return Kiosk.objects.create(merchant=merchant, name=name, **fields)
