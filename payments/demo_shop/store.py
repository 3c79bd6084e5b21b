"""Orders of the demo shop, in the cache. Cache calls run in a worker thread so that the
async views never block the event loop."""

from __future__ import annotations

import asyncio

from django.core.cache import cache

TTL = 7 * 24 * 3600
PRODUCTS = {
    "beans": ("Coffee beans, 1 kg", 1299),
    "mug": ("SmilePay mug", 850),
    "filter": ("Pour-over filter", 1599),
}


def _key(payment_id: int) -> str:
    return f"demo_shop:order:{payment_id}"


async def get(payment_id: int) -> dict | None:
    return await asyncio.to_thread(cache.get, _key(payment_id))


async def put(order: dict) -> None:
    await asyncio.to_thread(cache.set, _key(order["payment_id"]), order, TTL)
