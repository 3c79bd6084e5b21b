from __future__ import annotations

from django.db import models
from django.utils import timezone


class CaptureSession(models.Model):
    """One capture attempt at a kiosk: a single-use upload token with a short life.

    The token itself is handed to the kiosk page once; only its hash is stored. The
    frames never come here: they wait in the cache under `frames_key` for the task.
    """

    kiosk = models.ForeignKey(
        "merchants.Kiosk", on_delete=models.CASCADE, related_name="capture_sessions"
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.CASCADE,
        related_name="capture_sessions",
        null=True,
        blank=True,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    phone_digits = models.CharField(max_length=4, blank=True)
    frames_key = models.CharField(max_length=64, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The capture challenge this ticket asked for (smilepay.faces.challenge, as_json()),
    # and when the burst says its frames were taken: {"frame_ms": [...],
    # "started_at_ms": ..., "received_at_ms": ...}. Times only, never images.
    challenge = models.JSONField(default=dict, blank=True)
    capture_times = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"capture session {self.pk} at kiosk {self.kiosk_id}"

    def is_usable(self, *, now=None) -> bool:
        return self.used_at is None and self.expires_at > (now or timezone.now())
