"""The one identity split every research tool uses.

Identities (LFW folder names) fall in two fixed halves by ``crc32(name) % 2``: thresholds,
weights and design choices are tuned on ``tune`` and every published figure is measured
on ``heldout``. It is the rule the smile model was trained with (every SMILEsmileD crop of
a held-out person is in its test set), so the smile model, the liveness thresholds, the
recognition thresholds and the encoder fusion never tune on identities they report on.
"""

from __future__ import annotations

import zlib

HALVES = ("tune", "heldout")


def half_of(name: str) -> str:
    """'tune' or 'heldout' for identity ``name``."""
    return "heldout" if zlib.crc32(name.encode()) % 2 == 1 else "tune"


def in_half(name: str, half: str) -> bool:
    """Whether identity ``name`` belongs to ``half`` ('tune' or 'heldout'; 'tuning' is
    accepted as the liveness benchmarks spell it)."""
    wanted = "tune" if half == "tuning" else half
    if wanted not in HALVES:
        raise ValueError(f"half must be 'tune' or 'heldout', got {half!r}")
    return half_of(name) == wanted
