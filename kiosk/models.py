from __future__ import annotations

from django.db import models


class CaptureSession(models.Model):
    """One capture attempt at a kiosk: a single-use upload token with a short life.

    The token itself is handed to the kiosk page once; only its hash is stored.
    """

    kiosk = models.ForeignKey(
        "payments.Kiosk", on_delete=models.CASCADE, related_name="capture_sessions"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"capture session {self.pk} at kiosk {self.kiosk_id}"
