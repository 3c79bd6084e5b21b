"""Phone notifications: Web Push subscriptions, sending, and the per-customer live group.

`notify_customer` is the one entry point for other apps: after the surrounding
transaction commits it sends `{"type": "customer.event", "event": event}` to the channel
group `customer.<user_id>` (open portal pages) and, when a PushMessage is given, queues
one Web Push per subscribed device (Celery task `accounts.send_push`, pywebpush with a
TTL and urgency high; a subscription the push service reports gone, 404/410, is deleted).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.errors import PushSubscriptionInvalid
from accounts.language import in_language_of
from accounts.models import PushSubscription
from accounts.signals import push_failed
from smilepay import outbound
from smilepay.group_send import group_send

logger = logging.getLogger(__name__)

GONE_STATUSES = {404, 410}
# The whole request to a push service, answer included (smilepay.outbound's deadline).
PUSH_DEADLINE_SECONDS = 10


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    url: str
    tag: str = ""
    actions: list[dict] = field(default_factory=list)
    # Where the service worker posts a tapped action, and the token that proves it is
    # this customer's answer to this payment (payments/push_answers.py); empty: the
    # action opens `url` instead.
    answer_url: str = ""
    answer_token: str = ""

    def payload(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


def customer_group(user_id: int) -> str:
    return f"customer.{user_id}"


def _b64url_decode(value: str) -> bytes:
    text = (value or "").strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _push_target(endpoint: str) -> outbound.Target:
    """A push endpoint is a URL the customer's browser handed us: https on a public
    address only (smilepay/outbound.py), unless a development opt-in says otherwise."""
    schemes = {"https", "http"} if settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS else {"https"}
    return outbound.resolve(
        endpoint, schemes=schemes, allow_private=settings.WEBPUSH_ALLOW_PRIVATE_ENDPOINTS
    )


def _validate(endpoint: str, p256dh: str, auth: str) -> None:
    url = urlparse(endpoint or "")
    allowed = {"https", "http"} if settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS else {"https"}
    if url.scheme not in allowed or not url.netloc or len(endpoint) > 2000:
        raise PushSubscriptionInvalid(_("The push endpoint must be an https URL."))
    try:
        _push_target(endpoint)
    except outbound.ForbiddenTarget as exc:
        raise PushSubscriptionInvalid(
            _("The push endpoint must be a public push service."), code="forbidden_endpoint"
        ) from exc
    try:
        key = _b64url_decode(p256dh)
        secret = _b64url_decode(auth)
    except (binascii.Error, ValueError) as exc:
        raise PushSubscriptionInvalid(_("The subscription keys are not base64url.")) from exc
    if len(key) != 65 or key[0] != 4:
        raise PushSubscriptionInvalid(_("p256dh must be an uncompressed P-256 point."))
    if len(secret) != 16:
        raise PushSubscriptionInvalid(_("auth must be 16 bytes."))


def _endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def push_subscribe(
    *, user_id: int, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Store (or move to this customer) one device's subscription."""
    _validate(endpoint, p256dh, auth)
    with transaction.atomic():
        subscription, created = PushSubscription.objects.select_for_update().get_or_create(
            endpoint_sha256=_endpoint_hash(endpoint),
            defaults={
                "user_id": user_id,
                "endpoint": endpoint,
                "p256dh": p256dh,
                "auth": auth,
                "user_agent": (user_agent or "")[:400],
            },
        )
        if not created:
            subscription.user_id = user_id
            subscription.p256dh = p256dh
            subscription.auth = auth
            subscription.user_agent = (user_agent or "")[:400]
            subscription.save(update_fields=["user", "p256dh", "auth", "user_agent"])
        audit(
            "push.subscribed",
            user_id=user_id,
            data={"subscription": subscription.pk, "host": urlparse(endpoint).hostname},
        )
    return subscription


def push_unsubscribe(*, user_id: int, endpoint: str) -> bool:
    with transaction.atomic():
        deleted, _ = PushSubscription.objects.filter(
            user_id=user_id, endpoint_sha256=_endpoint_hash(endpoint)
        ).delete()
        if deleted:
            audit("push.unsubscribed", user_id=user_id)
    return bool(deleted)


def notify_customer(*, user_id: int, event: dict, push: PushMessage | None = None) -> None:
    """On commit: the event to the customer's open pages, and the push to their phones."""
    subscription_ids = (
        list(PushSubscription.objects.filter(user_id=user_id).values_list("pk", flat=True))
        if push is not None
        else []
    )

    def send() -> None:
        try:
            group_send(customer_group(user_id), {"type": "customer.event", "event": event})
        except Exception:  # a websocket hiccup must not stop the push
            logger.exception("customer event for user %s not delivered", user_id)
        if push is not None:
            from accounts.tasks import send_push

            payload = push.payload()
            for subscription_id in subscription_ids:
                send_push.delay(subscription_id, payload)

    transaction.on_commit(send, robust=True)  # the change it reports has committed


def push_send_test(*, user_id: int) -> int:
    """Queue a test notification to every device of the customer; returns how many."""
    count = PushSubscription.objects.filter(user_id=user_id).count()
    with in_language_of(user_id=user_id):
        push = PushMessage(
            title="SmilePay",
            body=_("Notifications work. This is where you will confirm face payments."),
            url="/me/notifications/",
            tag="smilepay-test",
        )
    notify_customer(user_id=user_id, event={"type": "push.test"}, push=push)
    return count


def _report_failure(*, user_id: int, payload: str) -> None:
    """Tell other apps (accounts.signals.push_failed) which message did not arrive."""

    try:
        tag = str(json.loads(payload).get("tag") or "")
    except (ValueError, AttributeError):
        tag = ""
    for receiver, error in push_failed.send_robust(sender=None, user_id=user_id, tag=tag):
        if isinstance(error, Exception):
            logger.warning("push failure receiver %s failed: %s", receiver, error)


def deliver(*, subscription_id: int, payload: str) -> str:
    """Send one push now (runs in the Celery task). Returns 'sent', 'gone' or 'failed'."""
    from pywebpush import WebPushException, webpush

    subscription = PushSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return "gone"
    try:
        # Checked again now and pinned to the checked address (DNS may have changed).
        target = _push_target(subscription.endpoint)
    except outbound.ForbiddenTarget as exc:
        logger.warning("push %s refused: %s", subscription_id, exc)
        return "failed"
    try:
        webpush(
            requests_session=outbound.pinned_session(target, deadline=PUSH_DEADLINE_SECONDS),
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=settings.WEBPUSH_TTL_SECONDS,
            headers={"Urgency": "high"},
            timeout=PUSH_DEADLINE_SECONDS,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in GONE_STATUSES:
            PushSubscription.objects.filter(pk=subscription_id).delete()
            audit("push.subscription_gone", user_id=subscription.user_id, data={"status": status})
            _report_failure(user_id=subscription.user_id, payload=payload)
            return "gone"
        logger.warning("push %s failed with status %s", subscription_id, status)
        _report_failure(user_id=subscription.user_id, payload=payload)
        return "failed"
    except Exception as exc:  # network errors: log without the payload
        logger.warning("push %s failed: %s", subscription_id, type(exc).__name__)
        _report_failure(user_id=subscription.user_id, payload=payload)
        return "failed"
    PushSubscription.objects.filter(pk=subscription_id).update(last_success_at=timezone.now())
    return "sent"
