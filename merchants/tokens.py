"""Secrets that we hand out once and keep only as hashes (device tokens, API keys, codes),
and webhook signing secrets."""

from __future__ import annotations

import hashlib
import secrets

PAIRING_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def hash_token(token: str) -> str:
    # Tokens are long random strings, so a fast keyed-free hash is enough; a slow
    # password hash would only cost every authenticated request time.
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def new_webhook_secret() -> str:
    # Kept in clear (each delivery is signed with it), unlike the tokens above.
    return f"whsec_{secrets.token_urlsafe(24)}"


def new_pairing_code(length: int = 8) -> str:
    return "".join(secrets.choice(PAIRING_CODE_ALPHABET) for _ in range(length))


def normalize_pairing_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())
