"""Comparing encodings, the calibrated threshold, the margin rule and the Gallery.

Distances are Euclidean between engine encodings (unit length: the flip-averaged dlib
descriptor, or its weighted concatenation with a second encoder's, ``encoders.py``), so
they lie in [0, 2]. ``Gallery.search`` returns for each identity the
distance to that identity's template (the normalised mean of its enrolled encodings);
``match_threshold()`` and ``match_margin()`` apply to those distances (see
docs/faces-accuracy.md for how they were calibrated).
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from .config import current


def match_threshold() -> float:
    """The 1:N decision threshold in force: the configuration's calibrated record
    (``calibrations.json``: FMR <= 1e-4 per comparison, 3-image mean template, tuning
    half), or ``SMILEPAY_MATCH_THRESHOLD``. Read once at start-up (``config.load``)."""
    return current().match_threshold


def match_margin() -> float:
    """Minimum gap between the best and second-best identity (calibrated record, or
    ``SMILEPAY_MATCH_MARGIN``)."""
    return current().match_margin


def match_fmr() -> float:
    """False matches per comparison at the threshold in force, measured on the held-out
    half (calibrated record, or ``SMILEPAY_MATCH_FMR``).

    A 1:N search makes one such comparison per enrolled identity, which is what turns the
    size of a search into a risk (``false_match_risk``). Whoever overrides
    ``SMILEPAY_MATCH_THRESHOLD`` sets this too, from the FMR that
    ``python -m smilepay.faces calibrate`` prints for the new threshold.
    """
    return current().match_fmr


def false_match_risk(*, identities: int, fmr: float | None = None) -> float:
    """Chance that a probe of someone not among ``identities`` people is within the
    threshold of at least one of them: 1 - (1 - FMR)^N.

    It grows with every customer a search covers, which is why a wide search needs the
    phone digits to narrow it. The margin rule refuses some of these near misses, so
    this is an upper bound for the whole decision.
    """
    if identities <= 0:
        return 0.0
    rate = match_fmr() if fmr is None else fmr
    return float(-math.expm1(identities * math.log1p(-rate)))


def max_identities_for_risk(risk: float, *, fmr: float | None = None) -> int:
    """The most identities one search may cover while ``false_match_risk`` stays <= risk."""
    rate = match_fmr() if fmr is None else fmr
    if risk >= 1:
        return sys.maxsize
    return max(0, math.floor(math.log1p(-risk) / math.log1p(-rate) + 1e-9))


def verify_threshold() -> float:
    """The 1:1 threshold in force (calibrated record, or ``SMILEPAY_VERIFY_THRESHOLD``).

    It applies to ``verify_distance(probe, enrolled)``: the distance between the probe
    and the customer's own template, the normalised mean of their enrolled encodings.
    A 1:1 comparison is the same statistic as one row of the 1:N search, so the same FMR
    target gives the same value; what differs is the decision: no search and no margin.
    """
    return current().verify_threshold


def encoding_size() -> int:
    """Values in one encoding under the configuration in force (128 for dlib alone)."""
    return current().dim


def _as_vector(encoding, dim: int | None = None) -> np.ndarray:
    v = np.asarray(encoding, dtype=np.float32).reshape(-1)
    dim = encoding_size() if dim is None else dim
    if v.shape != (dim,):
        raise ValueError(f"an encoding has {dim} values, got {v.shape[0]}")
    if not np.all(np.isfinite(v)):
        raise ValueError("encoding contains NaN or infinity")
    return v


def compare(encoding_a, encoding_b) -> float:
    """Euclidean distance between two encodings; lower means more alike."""
    a = _as_vector(encoding_a)
    b = _as_vector(encoding_b)
    return float(np.linalg.norm(a - b))


def mean_template(encodings) -> np.ndarray:
    """One identity's template, as ``Gallery`` keeps it: the L2-normalised mean of its
    encodings, each normalised first. ``encodings``: (d,) or (n, d)."""
    total = Gallery._unit_rows(encodings, encoding_size()).sum(axis=0, dtype=np.float64)
    return (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)


def verify_distance(encoding, enrolled) -> float:
    """1:1 score: distance between ``encoding`` and the template of ``enrolled`` (one
    person's encodings). ``verify_threshold()`` applies to it; it equals what
    ``Gallery.search`` would return for that person."""
    return compare(encoding, mean_template(enrolled))


@dataclass(frozen=True)
class Decision:
    """Outcome of a 1:N search: ``matched`` only when every rule holds."""

    matched: bool
    identity_id: Hashable | None
    distance: float | None
    second_distance: float | None
    reason: str  # 'match' | 'empty_gallery' | 'no_match' | 'ambiguous'


def decide(
    results: list[tuple[Hashable, float]],
    *,
    threshold: float | None = None,
    margin: float | None = None,
) -> Decision:
    """Apply the payment rule to ``Gallery.search(encoding, k=2)`` results.

    A match needs best distance <= threshold, and the second-best identity (if any) at
    least ``margin`` further away: two enrolled people who both look like the probe must
    not be told apart by chance.
    """
    threshold = match_threshold() if threshold is None else threshold
    margin = match_margin() if margin is None else margin
    if not results:
        return Decision(False, None, None, None, "empty_gallery")
    best_id, best = results[0]
    second = results[1][1] if len(results) > 1 else None
    if best > threshold:
        return Decision(False, None, best, second, "no_match")
    if second is not None and second - best < margin:
        return Decision(False, None, best, second, "ambiguous")
    return Decision(True, best_id, best, second, "match")


class Gallery:
    """Exact 1:N search over enrolled identities (float32, in memory).

    Each identity has one template: the L2-normalised mean of all the encodings enrolled
    for it. On the LFW tuning half this halves the misses of keeping every encoding and
    taking the minimum distance (FNMR at FMR 1e-4: 6.3% vs 10.2%, docs/faces-accuracy.md).
    Encodings are treated as directions (normalised on the way in), as the engine's are.

    Memory: rows live in fixed-size blocks, so adding never copies the whole matrix, and
    removal moves the last row into the hole. Per row: 4 bytes per encoding value (512
    for dlib alone, 1,280 fused with MobileFaceNet), 4 bytes of running-sum length (to
    fold in later encodings exactly), 4 bytes of count, 8 bytes of id hash and the 8-byte
    reference to the id: 1M dlib identities take about 540 MB plus the id objects. Ids
    are found by a vectorised scan of the hash column instead of a dict, which would cost
    ~70 MB more at 1M.
    Search: squared distances as ||q||^2 - 2 q.t + 1, a float32 matrix-vector product per
    block (temporary memory: one float per row, 4 MB at 1M). Thread-safe: one lock guards
    all methods.
    """

    def __init__(self, *, block_rows: int = 16384, dim: int | None = None) -> None:
        self._block_rows = block_rows
        # Encoding size of the configuration in force when the gallery was made.
        self._dim = encoding_size() if dim is None else dim
        self._vecs: list[np.ndarray] = []  # (block_rows, dim) float32 unit templates
        self._sumlen: list[np.ndarray] = []  # length of the sum of enrolled encodings
        self._count: list[np.ndarray] = []  # encodings folded into the template
        self._hash: list[np.ndarray] = []  # hash(identity_id) per row
        self._ids: list[Hashable] = []  # identity id per row
        self._n = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        """Number of enrolled identities (one template row each)."""
        return self._n

    @property
    def identities(self) -> int:
        return self._n

    def __contains__(self, identity_id: Hashable) -> bool:
        with self._lock:
            return self._find(identity_id) is not None

    def memory_bytes(self) -> int:
        """Bytes held: allocated template blocks, row columns, the id list and id objects."""
        with self._lock:
            arrays = sum(
                a.nbytes
                for group in (self._vecs, self._sumlen, self._count, self._hash)
                for a in group
            )
            return arrays + sys.getsizeof(self._ids) + sum(sys.getsizeof(i) for i in self._ids)

    def count(self, identity_id: Hashable) -> int:
        """How many encodings were enrolled for ``identity_id`` (0 if unknown)."""
        with self._lock:
            row = self._find(identity_id)
            if row is None:
                return 0
            b, o = divmod(row, self._block_rows)
            return int(self._count[b][o])

    def _blocks(self):
        """(block index, rows used) for the blocks holding rows."""
        for b in range(len(self._vecs)):
            used = min(self._block_rows, self._n - b * self._block_rows)
            if used <= 0:
                return
            yield b, used

    def _find(self, identity_id: Hashable) -> int | None:
        h = hash(identity_id)
        for b, used in self._blocks():
            for o in np.flatnonzero(self._hash[b][:used] == h):
                row = b * self._block_rows + int(o)
                if self._ids[row] == identity_id:
                    return row
        return None

    def _append_row(self) -> int:
        if self._n == len(self._vecs) * self._block_rows:
            self._vecs.append(np.empty((self._block_rows, self._dim), dtype=np.float32))
            self._sumlen.append(np.empty(self._block_rows, dtype=np.float32))
            self._count.append(np.empty(self._block_rows, dtype=np.int32))
            self._hash.append(np.empty(self._block_rows, dtype=np.int64))
        self._n += 1
        return self._n - 1

    @staticmethod
    def _unit_rows(encodings, dim: int) -> np.ndarray:
        arr = np.asarray(encodings, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != dim or arr.shape[0] == 0:
            raise ValueError(f"encodings must be ({dim},) or (n, {dim}), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("encodings contain NaN or infinity")
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        if np.any(norms < 1e-6):
            raise ValueError("an encoding of length zero has no direction")
        return arr / norms

    def _fold(self, row: int | None, identity_id: Hashable, unit: np.ndarray) -> None:
        total = unit.sum(axis=0, dtype=np.float64)
        count = len(unit)
        if row is None:
            row = self._append_row()
            self._ids.append(identity_id)
        else:
            b, o = divmod(row, self._block_rows)
            total += self._vecs[b][o].astype(np.float64) * float(self._sumlen[b][o])
            count += int(self._count[b][o])
        b, o = divmod(row, self._block_rows)
        length = float(np.linalg.norm(total))
        self._vecs[b][o] = total / max(length, 1e-12)
        self._sumlen[b][o] = length
        self._count[b][o] = count
        self._hash[b][o] = hash(identity_id)

    def add(self, identity_id: Hashable, encodings) -> None:
        """Enroll encodings ((d,) or (n, d)) for ``identity_id``; adds to earlier ones."""
        unit = self._unit_rows(encodings, self._dim)
        with self._lock:
            self._fold(self._find(identity_id), identity_id, unit)

    def add_many(self, items: Iterable[tuple[Hashable, np.ndarray]]) -> None:
        """Bulk ``add`` (e.g. loading every customer at start-up).

        One vectorised id check for the whole batch instead of one scan per id, and new
        identities are written block-wise: 1M identities load in seconds, where 1M
        single ``add`` calls would each scan the id hashes.
        """
        batch: dict[Hashable, list[np.ndarray]] = {}
        for identity_id, encodings in items:
            batch.setdefault(identity_id, []).append(self._unit_rows(encodings, self._dim))
        if not batch:
            return
        with self._lock:
            ids = list(batch)
            hashes = np.fromiter((hash(i) for i in ids), dtype=np.int64, count=len(ids))
            maybe = np.zeros(len(ids), dtype=bool)
            for b, used in self._blocks():
                maybe |= np.isin(hashes, self._hash[b][:used])
            fresh = []
            for identity_id, known in zip(ids, maybe, strict=True):
                row = self._find(identity_id) if known else None
                if row is None:
                    fresh.append(identity_id)
                else:
                    self._fold(row, identity_id, np.concatenate(batch[identity_id]))
            if fresh:
                self._append_fresh(fresh, [np.concatenate(batch[i]) for i in fresh])

    def _append_fresh(self, ids: list[Hashable], units: list[np.ndarray]) -> None:
        counts = np.fromiter((len(u) for u in units), dtype=np.int64, count=len(units))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        sums = np.add.reduceat(np.concatenate(units).astype(np.float64), starts, axis=0)
        lengths = np.linalg.norm(sums, axis=1)
        templates = (sums / np.maximum(lengths, 1e-12)[:, None]).astype(np.float32)
        hashes = np.fromiter((hash(i) for i in ids), dtype=np.int64, count=len(ids))
        done = 0
        while done < len(ids):
            if self._n == len(self._vecs) * self._block_rows:
                self._append_row()  # allocates a block
                self._n -= 1
            b, o = divmod(self._n, self._block_rows)
            take = min(len(ids) - done, self._block_rows - o)
            sl = slice(done, done + take)
            self._vecs[b][o : o + take] = templates[sl]
            self._sumlen[b][o : o + take] = lengths[sl]
            self._count[b][o : o + take] = counts[sl]
            self._hash[b][o : o + take] = hashes[sl]
            self._n += take
            done += take
        self._ids.extend(ids)

    def remove(self, identity_id: Hashable) -> int:
        """Forget ``identity_id``; returns how many encodings its template held (0: unknown)."""
        with self._lock:
            row = self._find(identity_id)
            if row is None:
                return 0
            b, o = divmod(row, self._block_rows)
            removed = int(self._count[b][o])
            last = self._n - 1
            if row != last:
                lb, lo = divmod(last, self._block_rows)
                for arrays in (self._vecs, self._sumlen, self._count, self._hash):
                    arrays[b][o] = arrays[lb][lo]
                self._ids[row] = self._ids[last]
            self._ids.pop()
            self._n -= 1
            # Keep at most one empty block as headroom.
            while len(self._vecs) > -(-self._n // self._block_rows) + 1:
                for arrays in (self._vecs, self._sumlen, self._count, self._hash):
                    arrays.pop()
            return removed

    def clear(self) -> None:
        with self._lock:
            self.__init__(block_rows=self._block_rows, dim=self._dim)

    def search(self, encoding, k: int = 2) -> list[tuple[Hashable, float]]:
        """The ``k`` nearest identities as ``(identity_id, distance)``, best first."""
        q = _as_vector(encoding, self._dim)
        if k < 1:
            return []
        with self._lock:
            if self._n == 0:
                return []
            const = float(q @ q) + 1.0  # templates are unit length
            q2 = q * np.float32(-2.0)
            # The matrix-vector products are the whole cost (memory-bound, ~40 ms per 1M
            # rows on one core). Only blocks whose minimum can be among the k best need a
            # partial sort: every top-k row is <= the k-th smallest block minimum.
            blocks = [(b, self._vecs[b][:used] @ q2) for b, used in self._blocks()]
            mins = np.array([d2.min() for _, d2 in blocks])
            kth = np.partition(mins, min(k, len(mins)) - 1)[min(k, len(mins)) - 1]
            cand_d, cand_r = [], []
            for (b, d2), low in zip(blocks, mins, strict=True):
                if low > kth:
                    continue
                part = np.argpartition(d2, k - 1)[:k] if len(d2) > k else np.arange(len(d2))
                cand_d.append(d2[part])
                cand_r.append(part + b * self._block_rows)
            d = np.concatenate(cand_d)
            r = np.concatenate(cand_r)
            order = np.argsort(d, kind="stable")[:k]
            return [(self._ids[int(r[i])], math.sqrt(max(float(d[i]) + const, 0.0))) for i in order]
