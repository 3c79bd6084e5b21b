"""The one way to record an audit event, for every app: a person's account (consent,
face data, sign-in...), a payment's trail (payment.*, recognition.*), wallets and the
merchants' security-relevant writes (kiosks, pairing codes, API keys, webhook endpoints).

Dotted names; written inside the caller's transaction (it stands or falls with the
change it records). `data` never holds biometric content or a secret: no codes, keys,
tokens, webhook secrets or images, only ids, counts, versions and reasons.
"""

from __future__ import annotations

from typing import Any

from accounts.models import AuditEvent


def audit(
    name: str,
    *,
    user_id: int | None = None,
    payment_id: int | None = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        user_id=user_id,
        payment_id=payment_id,
        name=name,
        data=data or {},
        ip_address=ip or None,
        user_agent=(user_agent or "")[:400],
    )
