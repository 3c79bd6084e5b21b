"""The demo shop's credentials, derived from SECRET_KEY so that `seed_demo` (which stores
only the API key's hash) and the shop agree on them without storing a secret anywhere."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

WEBHOOK_PATH = "/shop/webhook"


def _derive(label: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), label.encode(), hashlib.sha256).hexdigest()


def api_key() -> str:
    return f"sk_demoshop_{_derive('smilepay demo shop api key')[:40]}"


def webhook_secret() -> str:
    return f"whsec_demoshop_{_derive('smilepay demo shop webhook secret')[:32]}"
