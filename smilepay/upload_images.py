"""What an uploaded camera frame may be, checked from its header before anything decodes it.

A 6000 x 6000 PNG of one colour is a few KB on the wire and 108 MB once decoded; twelve
of them cost the recognition worker 1.7 GB. Pillow reads the size from the header
without touching the pixels, so every upload path (kiosk burst, online confirmation,
enrolment) refuses what no camera page of ours sends before the face engine decodes it:
more than UPLOAD_IMAGE_MAX_SIDE pixels on a side, an animation, or a format other than
JPEG, PNG and WebP. Corrupt pixel data behind a good header is the engine's to refuse
(smilepay/faces/imaging.py: FaceImageError, a "bad image" outcome, never a 500).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")


def _starts_like_one_of_ours(data: bytes) -> bool:
    """JPEG, PNG or WebP by its first bytes: a file that says it is one but will not open
    is damaged, not of the wrong kind, and the message says so."""
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


class ImageRefused(ValueError):
    """The upload is not a frame we analyse; the message says why, for a person."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FrameHeader:
    format: str
    width: int
    height: int


def frame_header(data: bytes, *, max_bytes: int, name: str = "") -> FrameHeader:
    """The frame's format and size from its header, or ImageRefused with the reason.

    `name` ("Frame 3") starts the messages; the picture is not decoded here."""
    label = name or _("The picture")
    if not data:
        raise ImageRefused(_("%(label)s is empty.") % {"label": label}, code="empty_frame")
    if len(data) > max_bytes:
        raise ImageRefused(
            _("%(label)s is larger than %(kb)s KB.") % {"label": label, "kb": max_bytes // 1024},
            code="frame_too_large",
        )
    side = settings.UPLOAD_IMAGE_MAX_SIDE
    too_big = ImageRefused(
        _("%(label)s is larger than %(side)s x %(side)s pixels.") % {"label": label, "side": side},
        code="frame_dimensions",
    )
    if _starts_like_one_of_ours(data):
        unreadable = _("%(label)s is damaged or cut off: it cannot be read.")
    else:
        unreadable = _("%(label)s is not a JPEG, PNG or WebP image.")
    not_an_image = ImageRefused(unreadable % {"label": label}, code="not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                header = FrameHeader(img.format or "", img.width, img.height)
                animated = bool(getattr(img, "is_animated", False))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_big from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise not_an_image from exc
    if not (0 < header.width <= side and 0 < header.height <= side):
        raise ImageRefused(
            _("%(label)s is %(w)s x %(h)s pixels; at most %(side)s x %(side)s.")
            % {"label": label, "w": header.width, "h": header.height, "side": side},
            code="frame_dimensions",
        )
    if animated:
        raise ImageRefused(
            _("%(label)s is an animation, not a still picture.") % {"label": label},
            code="not_an_image",
        )
    return header
