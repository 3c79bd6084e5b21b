"""The demo shop's pages and its webhook receiver; all async, so a request that waits
on SmilePay's own API (same server) never holds a Django sync thread while it waits."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from demo_shop import keys, store
from demo_shop.store import PRODUCTS
from payments import webhooks
from payments.models import Payment

DEMO_PHONE = "+12025550123"


# Templates read request.user (the site's header), which may query the session table:
# database work, so it runs in a thread, not on the event loop.
render_page = sync_to_async(render)


# Answers that must not tell a visitor whether a phone number is a SmilePay customer's.
NOT_A_CUSTOMER = {"customer_not_found"}
EXPIRES_IN = 600


def _api_base() -> str:
    """SmilePay's API as configured (DEMO_SHOP_API_URL, by default SITE_URL's), never
    derived from the request: a client's Host header must not choose where the shop
    sends its API key."""
    return settings.DEMO_SHOP_API_URL.rstrip("/") + "/"


def _call_api(
    method: str, url: str, body: dict | None = None, *, language: str = "en"
) -> tuple[int, dict]:
    headers = {
        "Authorization": f"Bearer {keys.api_key()}",
        "Content-Type": "application/json",
        # The shopper's language: SmilePay's error messages come back in it.
        "Accept-Language": language,
    }
    if method == "POST":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError):
        # Unreachable, timed out or not JSON: the shopper gets a page saying so, not a 500.
        unreachable = _("SmilePay could not be reached. Please try again in a moment.")
        return 503, {"error": {"code": "api_unreachable", "message": str(unreachable)}}


@require_GET
async def index(request: HttpRequest) -> HttpResponse:
    # A signed-in customer pays with their own number; a visitor gets the demo customer's.
    user = await request.auser()
    own = getattr(user, "phone_e164", None) or DEMO_PHONE
    return await render_page(
        request,
        "shop/index.html",
        {"products": PRODUCTS, "phone": request.GET.get("phone", own)},
    )


@require_POST
async def buy(request: HttpRequest) -> HttpResponse:
    product = PRODUCTS.get(request.POST.get("product", ""))
    if product is None:
        return HttpResponseBadRequest("unknown product")
    name, price = str(product[0]), product[1]
    ref = store.new_ref()
    status, body = await asyncio.to_thread(
        _call_api,
        "POST",
        _api_base() + "payments",
        {
            "amount_minor": price,
            "customer_phone": request.POST.get("phone", ""),
            "description": name,
            # The order's own reference comes back with the shopper: a payment id alone
            # would let anyone walk the ids and learn whose number has SmilePay.
            "return_url": settings.SITE_URL + "/shop/return?" + urlencode({"order": ref}),
            "expires_in_seconds": EXPIRES_IN,
        },
        language=get_language(),
    )
    code = body.get("error", {}).get("code", "")
    if status != 201 and code not in NOT_A_CUSTOMER:
        message = body.get("error", {}).get("message") or _(
            "SmilePay refused the order (error %(status)s)."
        ) % {"status": status}
        return await render_page(
            request,
            "shop/index.html",
            {"products": PRODUCTS, "phone": request.POST.get("phone", ""), "error": message},
            status=502 if status >= 500 else 400,
        )
    # A number that is nobody's gets the same order page as a customer's: the request
    # went out, and whoever owns the number sees it (or nobody does). It then expires.
    order = {
        "ref": ref,
        "payment_id": body.get("id") if status == 201 else None,
        "product": name,
        "amount_minor": price,
        "status": "created",
        "currency": body.get("currency", settings.DEFAULT_CURRENCY),
        "paid": False,
        "events": [],
        "expires_at": time.time() + EXPIRES_IN,
    }
    await store.put(order)
    return redirect("shop:order", ref=order["ref"])


@require_GET
async def order(request: HttpRequest, ref: str) -> HttpResponse:
    found = await store.get(ref)
    if found is None:
        return HttpResponse(_("No such order."), status=404)
    if not found["paid"] and found["status"] == "created" and time.time() > found["expires_at"]:
        found["status"] = "expired"
    # Captured is not closed: the order waits for the signed webhook to say "paid".
    closed = Payment.outcome_is_final(found["status"], found.get("reason", "")) and (
        found["status"] not in Payment.CAPTURED_STATUSES
    )
    return await render_page(
        request,
        "shop/order.html",
        {
            "order": found,
            # The customer's SmilePay page lists what waits for them (no payment id here).
            "confirm_url": "/me/",
            # Paid only once the signed webhook said so; until then keep refreshing.
            "waiting": not found["paid"] and not closed,
        },
    )


@require_GET
async def back(request: HttpRequest) -> HttpResponse:
    """SmilePay sends the shopper here with the order's reference (the return URL's own)
    and ?payment_id=&status=; the status in the URL is only a hint, so the shop re-reads
    the payment from the API."""
    try:
        payment_id = int(request.GET.get("payment_id", ""))
    except ValueError:
        return HttpResponseBadRequest("payment_id missing")
    found = await store.get(request.GET.get("order", ""))
    if found is None or found["payment_id"] != payment_id:
        return HttpResponse(_("No such order."), status=404)
    status, body = await asyncio.to_thread(_call_api, "GET", _api_base() + f"payments/{payment_id}")
    if status == 200 and not found["paid"]:
        found.update(status=body["status"], reason=body["reason"])
        await store.put(found)
    return redirect("shop:order", ref=found["ref"])


@csrf_exempt
@require_POST
async def webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature over the raw body (docs/webhooks.md), then record the event."""
    body = request.body
    header = request.headers.get(webhooks.SIGNATURE_HEADER, "")
    if not webhooks.verify(secret=keys.webhook_secret(), body=body, header=header):
        return HttpResponse("bad signature", status=400)
    event = json.loads(body)
    payment = event["data"]["object"]
    found = await store.get_by_payment(payment["id"])
    if found is None:
        return JsonResponse({"ignored": True})  # not one of our orders
    if event["id"] not in found["events"]:  # deliveries are at least once
        found["events"].append(event["id"])
        found.update(status=payment["status"], reason=payment["reason"])
        found["paid"] = found["paid"] or event["type"] == "payment.succeeded"
        found["webhook"] = event["type"]
        await store.put(found)
    return JsonResponse({"received": True})
