"""Plain data types returned by the face engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Box = tuple[int, int, int, int]  # (top, right, bottom, left), like face_recognition
Landmarks = dict[str, list[tuple[int, int]]]


@dataclass(frozen=True)
class Quality:
    """How usable one face is, measured on the face crop.

    ``reasons`` lists every problem against the stricter enrollment bar; ``pay_reasons``
    is the subset that also blocks a payment attempt. Thresholds live in
    ``smilepay.faces.quality`` and are documented there.
    """

    score: float  # 0..1, 1 = ideal
    size: int  # shorter side of the face box, input pixels
    sharpness: float  # variance of the Laplacian on a 128 px grey crop
    brightness: float  # mean grey level 0..255
    contrast: float  # grey level standard deviation
    roll: float  # eye-line angle, degrees
    yaw: float  # nose offset from the eye midpoint / eye distance (0 = frontal)
    partial: bool  # the face box is cut by the image border
    reasons: tuple[str, ...] = ()
    pay_reasons: tuple[str, ...] = ()

    @property
    def ok_to_enroll(self) -> bool:
        return not self.reasons

    @property
    def ok_to_pay(self) -> bool:
        return not self.pay_reasons

    def ok_for(self, purpose: str) -> bool:
        if purpose == "enroll":
            return self.ok_to_enroll
        if purpose == "pay":
            return self.ok_to_pay
        raise ValueError(f"unknown purpose {purpose!r}; use 'enroll' or 'pay'")


@dataclass(eq=False)
class Face:
    """One detected face. All coordinates are in the input image's pixels."""

    box: Box
    landmarks: Landmarks
    quality: Quality
    encoding: np.ndarray | None = None  # float32 (config.current().dim,), None if not requested
    smile: float = float("nan")  # 0..1; NaN when the smile model is unavailable
    detection_score: float = 0.0
    # The aligned chip, for callers that ask for it (liveness, debugging); not
    # serialised. Made on first use: liveness keeps it for every frame but encodes two.
    _chip: np.ndarray | None = field(default=None, repr=False)
    _chip_maker: Callable[[], np.ndarray] | None = field(default=None, repr=False)

    @property
    def chip(self) -> np.ndarray | None:
        if self._chip is None and self._chip_maker is not None:
            self._chip, self._chip_maker = self._chip_maker(), None
        return self._chip

    @chip.setter
    def chip(self, value: np.ndarray | None) -> None:
        self._chip, self._chip_maker = value, None

    @property
    def size(self) -> int:
        top, right, bottom, left = self.box
        return min(bottom - top, right - left)

    @property
    def area(self) -> int:
        top, right, bottom, left = self.box
        return max(0, bottom - top) * max(0, right - left)
