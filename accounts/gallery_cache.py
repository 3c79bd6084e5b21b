"""Decrypted templates held in memory by each worker, rebuilt when enrollment changes.

Decrypting every template for every recognition would cost a key unwrap and an AES-GCM
open per customer; instead each worker process keeps a Gallery and compares its version
with `face_templates_version()` (shared through the cache and the database), which
accounts bumps on every enrollment, withdrawal and deletion.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from accounts.selectors import face_templates_version, load_face_templates
from smilepay.faces import Gallery


@dataclass(frozen=True)
class CachedTemplates:
    version: int
    gallery: Gallery


_lock = threading.Lock()
_cached: CachedTemplates | None = None


def current_templates() -> CachedTemplates:
    global _cached
    version = face_templates_version()
    with _lock:
        if _cached is None or _cached.version != version:
            templates = load_face_templates(candidates_only=False)
            gallery = Gallery()
            # One bulk load: single adds each scan the identities already there.
            gallery.add_many((uid, np.asarray(encs)) for uid, encs in templates.items() if encs)
            # Only the Gallery is kept: holding the decrypted lists too would double the
            # memory of every worker for the rare narrowed search below.
            _cached = CachedTemplates(version=version, gallery=gallery)
        return _cached


def subset_gallery(user_ids: set[int]) -> Gallery:
    """A small gallery of just these customers (the phone digits narrowed the search):
    a handful of people, decrypted for this one search."""
    templates = load_face_templates(user_ids=list(user_ids)) if user_ids else {}
    gallery = Gallery()
    gallery.add_many((uid, np.asarray(encs)) for uid, encs in templates.items() if encs)
    return gallery


def forget() -> None:
    """Drop the cache (tests, and a worker told that keys were rotated)."""
    global _cached
    with _lock:
        _cached = None
