"""Envelope encryption of face templates.

Each customer has a random 256-bit data key. Templates (float32 encodings, 128 values
for dlib alone) are encrypted with it under AES-GCM; the data key itself is stored
wrapped (AES-GCM) by a master key that lives only in the environment (FACE_MASTER_KEY,
id FACE_MASTER_KEY_ID).
Deleting the wrapped data key destroys every template encrypted under it — in the
database and in every backup of it — without touching the backups.

The associated data binds each ciphertext to its owner, so a template row copied to
another customer does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from smilepay.faces.matching import encoding_size

NONCE_BYTES = 12
KEY_BYTES = 32


class FaceCryptoError(Exception):
    """A key is missing or wrong, or a ciphertext was tampered with."""


def decode_master_key(value: str, *, name: str = "FACE_MASTER_KEY") -> bytes:
    """base64url (padding optional) text -> 32 raw bytes, or FaceCryptoError."""
    text = (value or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise FaceCryptoError(f"{name} is not base64url") from exc
    if len(raw) != KEY_BYTES:
        raise FaceCryptoError(f"{name} must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    key: bytes


def current_master_key() -> MasterKey:
    return MasterKey(settings.FACE_MASTER_KEY_ID, decode_master_key(settings.FACE_MASTER_KEY))


def master_keyring() -> dict[str, bytes]:
    """Every master key this process can unwrap with: the current one plus retired ones
    listed in FACE_MASTER_KEYS_RETIRED (`id=key,id=key`), kept while a rotation runs."""
    ring = {}
    for item in getattr(settings, "FACE_MASTER_KEYS_RETIRED", "").split(","):
        if "=" in item:
            key_id, value = item.strip().split("=", 1)
            ring[key_id.strip()] = decode_master_key(value, name=f"retired key {key_id}")
    current = current_master_key()
    ring[current.key_id] = current.key
    return ring


def _wrap_aad(user_id: int, key_id: str) -> bytes:
    return f"smilepay/face-data-key/v1/user={user_id}/master={key_id}".encode()


def _template_aad(user_id: int) -> bytes:
    return f"smilepay/face-template/v1/user={user_id}".encode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_data_key(*, data_key: bytes, user_id: int, master: MasterKey) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master.key).encrypt(nonce, data_key, _wrap_aad(user_id, master.key_id))


def unwrap_data_key(*, wrapped: bytes, user_id: int, master_key_id: str) -> bytes:
    ring = master_keyring()
    if master_key_id not in ring:
        raise FaceCryptoError(
            f"master key {master_key_id!r} is not configured (FACE_MASTER_KEY_ID or "
            "FACE_MASTER_KEYS_RETIRED)"
        )
    wrapped = bytes(wrapped)
    try:
        return AESGCM(ring[master_key_id]).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(user_id, master_key_id)
        )
    except InvalidTag as exc:
        raise FaceCryptoError(f"the data key of user {user_id} does not unwrap") from exc


def encrypt_template(*, encoding: np.ndarray, data_key: bytes, user_id: int) -> bytes:
    vector = np.asarray(encoding, dtype="<f4").reshape(-1)
    size = encoding_size()
    if vector.shape != (size,) or not np.all(np.isfinite(vector)):
        raise ValueError(f"a face template is {size} finite numbers")
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, vector.tobytes(), _template_aad(user_id))


def decrypt_template(*, ciphertext: bytes, data_key: bytes, user_id: int) -> np.ndarray:
    blob = bytes(ciphertext)
    try:
        plain = AESGCM(data_key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _template_aad(user_id)
        )
    except InvalidTag as exc:
        raise FaceCryptoError(f"a template of user {user_id} does not decrypt") from exc
    return np.frombuffer(plain, dtype="<f4").astype(np.float32)
