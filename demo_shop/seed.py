"""The demo shop's registration with Demo Café, run whenever `manage.py seed_demo` seeds."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from demo_shop import keys as shop_keys
from merchants import services as merchant_services
from merchants.models import ApiKey, Merchant, WebhookEndpoint
from merchants.tokens import hash_token


def register(sender: object, *, merchant: Merchant, **kwargs: object) -> None:
    """The demo shop's API key and webhook endpoint (secrets derived from SECRET_KEY,
    see keys.py), refreshed if SECRET_KEY or SITE_URL changed."""
    secret = shop_keys.api_key()
    ApiKey.objects.update_or_create(
        merchant=merchant,
        name="Demo shop",
        defaults={"prefix": secret[:11], "key_hash": hash_token(secret)},
    )
    # The shop sends shoppers back to itself: register its host for return URLs.
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host and host not in merchant.return_host_list:
        merchant_services.merchant_return_hosts_set(
            merchant_id=merchant.pk, hosts=[*merchant.return_host_list, host]
        )
    url = settings.SITE_URL + shop_keys.WEBHOOK_PATH
    # An endpoint for another SITE_URL is switched off, its delivery log kept.
    WebhookEndpoint.objects.filter(merchant=merchant, url__endswith=shop_keys.WEBHOOK_PATH).exclude(
        url=url
    ).update(is_active=False)
    WebhookEndpoint.objects.update_or_create(
        merchant=merchant,
        url=url,
        defaults={"secret": shop_keys.webhook_secret(), "is_active": True},
    )
