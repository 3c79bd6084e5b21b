"""The look-alike check: the smiling face must be the matched customer too.

A person swap (the victim's neutral photo, then a look-alike accomplice who smiles)
passes the smile challenge when the two faces are within its same-person limit: the
neutral frame matches the victim and the smiling frames only have to look like the same
person. So once the neutral frame has matched a customer, the strongest smile
(``LivenessResult.smile_encoding``) is compared with that customer's own template as
well (``verify_distance``, the normalised mean of their enrolled encodings).

A smiling face sits farther from a neutral enrolment than a neutral one does, so this
threshold is a little wider than the 1:1 threshold: a factor times
``verify_threshold()``, tuned per encoder configuration on the tuning half of lfw-dev by
``benchmarks/lookalike_check.py`` and kept in that configuration's calibrated record
(``smile_match_factor``; figures in docs/faces-liveness.md): dlib's 1.20 let 2.2% of
look-alike swaps through the fused configuration, whose distances spread differently.
``SMILEPAY_SMILE_MATCH_FACTOR`` overrides it; read once at start-up with the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .config import current
from .matching import verify_distance, verify_threshold


def smile_match_threshold() -> float:
    """Largest distance from the customer's template at which their smile is theirs."""
    return current().smile_match_factor * verify_threshold()


def smile_match_distance(smile_encoding: np.ndarray, enrolled: Sequence[np.ndarray]) -> float:
    """The smiling face's distance to the customer's template (their enrolled encodings)."""
    return verify_distance(smile_encoding, list(enrolled))


def smile_matches(smile_encoding: np.ndarray | None, enrolled: Sequence[np.ndarray]) -> bool:
    """Does the smiling face belong to the customer whose templates these are?"""
    if smile_encoding is None or not len(enrolled):
        return False
    return smile_match_distance(smile_encoding, enrolled) <= smile_match_threshold()
