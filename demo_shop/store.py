"""Orders of the demo shop, in the cache. Cache calls run in a worker thread so that the
async views never block the event loop.

An order is found by its own random reference (never by the SmilePay payment id, which
a request for a non-customer does not have: see views.buy). Webhooks find it through the
payment id -> reference entry; the return page by the reference in its URL."""

from __future__ import annotations

import asyncio
import re
import secrets

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

TTL = 7 * 24 * 3600
# Names in the shopper's language; the payment's description is written in theirs too.
PRODUCTS = {
    "beans": (_("Coffee beans, 1 kg"), 1299),
    "mug": (_("SmilePay mug"), 850),
    "filter": (_("Pour-over filter"), 1599),
}


REF_FORM = re.compile(r"[A-Za-z0-9_-]{12}")


def new_ref() -> str:
    return secrets.token_urlsafe(9)


def _key(ref: str) -> str:
    return f"demo_shop:order:{ref}"


def _payment_key(payment_id: int) -> str:
    return f"demo_shop:payment:{payment_id}"


async def get(ref: str) -> dict | None:
    if not REF_FORM.fullmatch(ref):  # from a URL: keep odd text out of the cache's keys
        return None
    return await asyncio.to_thread(cache.get, _key(ref))


async def get_by_payment(payment_id: int) -> dict | None:
    ref = await asyncio.to_thread(cache.get, _payment_key(payment_id))
    return await get(ref) if ref else None


async def put(order: dict) -> None:
    await asyncio.to_thread(cache.set, _key(order["ref"]), order, TTL)
    if order.get("payment_id"):
        await asyncio.to_thread(cache.set, _payment_key(order["payment_id"]), order["ref"], TTL)
