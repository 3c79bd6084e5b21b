"""Secrets for the embedded default, generated once into a git-ignored file.

Production passes every secret through the environment; a laptop running `make run`
should not have to. The first start writes `.local/secrets.json` (mode 0600) and every
later start reuses it, so sessions, VAPID subscriptions and encrypted templates survive
restarts.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_vapid_keys() -> tuple[str, str]:
    """Return (private, public) as base64url: the raw P-256 scalar and the uncompressed point.

    These are the forms browsers (applicationServerKey) and pywebpush accept.
    """
    private_key = ec.generate_private_key(ec.SECP256R1())
    private_raw = private_key.private_numbers().private_value.to_bytes(32, "big")
    public_raw = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(private_raw), _b64url(public_raw)


def _generate() -> dict[str, str]:
    vapid_private, vapid_public = generate_vapid_keys()
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VAPID_PRIVATE_KEY": vapid_private,
        "VAPID_PUBLIC_KEY": vapid_public,
        # 32 random bytes: the master key that wraps each customer's face data key.
        "FACE_MASTER_KEY": _b64url(secrets.token_bytes(32)),
        "DEMO_PASSWORD": secrets.token_urlsafe(9),
    }


def load_local_secrets(path: Path) -> dict[str, str]:
    """Read the local secrets file, creating it (or adding missing keys) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The web server and a worker may start together: one of them writes, the other reads.
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _load_or_create(path)


def _load_or_create(path: Path) -> dict[str, str]:
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    fresh = _generate()
    missing = {key: value for key, value in fresh.items() if key not in stored}
    if missing:
        # A VAPID pair must stay a pair: regenerate both if either is missing.
        if "VAPID_PRIVATE_KEY" in missing or "VAPID_PUBLIC_KEY" in missing:
            missing["VAPID_PRIVATE_KEY"] = fresh["VAPID_PRIVATE_KEY"]
            missing["VAPID_PUBLIC_KEY"] = fresh["VAPID_PUBLIC_KEY"]
        stored.update(missing)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle, indent=2)
        os.replace(tmp, path)
    return stored
