"""Audit events: dotted names, no biometric content, written inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from accounts.models import AuditEvent


def audit(
    name: str,
    *,
    user_id: int | None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        user_id=user_id,
        name=name,
        data=data or {},
        ip_address=ip or None,
        user_agent=(user_agent or "")[:400],
    )
