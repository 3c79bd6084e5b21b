"""Validating an uploaded burst and holding it only until the recognition task runs.

The kiosk's capture and online checkout's face check hand their bursts to a task on the
`recognition` queue the same way. Frames never touch the database or the disk. Between
the upload and the task they sit in the cache (Redis in production) under a random key
with a short expiry, and the task deletes them as it reads them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from smilepay.faces.challenge import parse_frame_times, parse_started_at
from smilepay.upload_images import ImageRefused, frame_header


class FrameError(ValueError):
    """The upload is not a burst we can analyse; the message says why, for the kiosk."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def capture_times(
    frame_times: str | None, started_at: str | None, *, count: int
) -> tuple[list[float], float | None]:
    """The page's capture time of each frame (ms) and its clock at the first prompt. What
    is wrong with them is for a developer; the person is told to reload, in their language."""
    try:
        return parse_frame_times(frame_times, count=count), parse_started_at(started_at)
    except ValueError as exc:
        raise FrameError(
            _(
                "The camera pictures came without usable capture times. "
                "Reload the page and try again."
            ),
            code="bad_times",
        ) from exc


def burst_body_cap() -> int:
    """The largest request a burst upload may be: every frame at its cap, plus the form."""
    return settings.KIOSK_MAX_FRAMES * settings.KIOSK_MAX_FRAME_BYTES + 64 * 1024


def validate_burst(frames: list[bytes]) -> None:
    """Raise FrameError unless the burst has a sensible count, sizes, dimensions and types."""
    count = len(frames)
    if count < settings.KIOSK_MIN_FRAMES:
        raise FrameError(
            _("Send at least %(min)d frames; got %(count)d.")
            % {"min": settings.KIOSK_MIN_FRAMES, "count": count},
            code="too_few_frames",
        )
    if count > settings.KIOSK_MAX_FRAMES:
        raise FrameError(
            _("Send at most %(max)d frames; got %(count)d.")
            % {"max": settings.KIOSK_MAX_FRAMES, "count": count},
            code="too_many_frames",
        )
    for index, frame in enumerate(frames):
        # Size and type from the header only: a pixel bomb is refused before any decoding.
        try:
            frame_header(
                frame, max_bytes=settings.KIOSK_MAX_FRAME_BYTES, name=_("Frame %d") % (index + 1)
            )
        except ImageRefused as exc:
            raise FrameError(str(exc), code=exc.code) from exc


def stash_frames(frames: list[bytes]) -> str:
    key = f"frames:{secrets.token_urlsafe(16)}"
    cache.set(key, frames, timeout=settings.KIOSK_FRAMES_TTL_SECONDS)
    return key


@contextmanager
def stashed_frames(frames: list[bytes]) -> Iterator[str]:
    """Stash the burst before the upload's transaction (up to megabytes to the cache must
    not happen under its row locks) and take it back out if the upload is refused."""
    key = stash_frames(frames)
    try:
        yield key
    except BaseException:
        take_frames(key)
        raise


def take_frames(key: str) -> list[bytes] | None:
    """The stashed frames, removed from the cache as they are read (None if gone).

    Only the caller whose delete removed the entry gets them: two runs of a task racing
    for one burst analyse it once."""
    frames = cache.get(key)
    if not cache.delete(key):
        return None
    return frames
