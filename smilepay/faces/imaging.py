"""Safe image decoding: every input type becomes a C-contiguous RGB uint8 array.

Untrusted bytes come from kiosks and phones, so the byte size and the pixel count are
checked *before* any pixel is decoded (the header gives the size), and only JPEG, PNG and
WebP decoders are allowed to run.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from smilepay.env import env_int

from .errors import FaceImageError

# 15 MB is far above a 1080p JPEG (~0.5 MB) but refuses absurd uploads early.
MAX_BYTES = env_int("SMILEPAY_FACES_MAX_BYTES", 15 * 1024 * 1024)
# 4096 x 4096 (16.8 MP): above any frame the camera pages send (640 px wide) and any photo
# the calibration reads. Twelve 6000 x 6000 frames (36 MP each, a few KB as PNG) cost a
# worker 1.7 GB before this cap; the upload paths refuse above 1920 px already.
MAX_PIXELS = env_int("SMILEPAY_FACES_MAX_PIXELS", 4096 * 4096)
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")

ImageInput = bytes | bytearray | memoryview | Image.Image | np.ndarray


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise FaceImageError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise FaceImageError(
            f"image is {width}x{height} = {width * height} pixels, above the cap of "
            f"{max_pixels} (possible decompression bomb)"
        )


def _to_rgb(img: Image.Image) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16-bit / float greyscale: scale to 8 bits by the actual range, PIL would clip.
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        grey = arr.astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode != "RGB":
        # RGBA / LA / PA lose alpha; palette, greyscale, CMYK and 1-bit are expanded.
        img = img.convert("RGBA").convert("RGB") if "A" in mode or mode == "P" else img
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


def _decode_bytes(data: bytes, *, max_bytes: int, max_pixels: int) -> np.ndarray:
    if len(data) == 0:
        raise FaceImageError("empty input: no image bytes")
    if len(data) > max_bytes:
        raise FaceImageError(f"image is {len(data)} bytes, above the cap of {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            _check_pixels(img.width, img.height, max_pixels)
            img.load()
            img = ImageOps.exif_transpose(img) or img
            return _to_rgb(img)
    except FaceImageError:
        raise
    except UnidentifiedImageError as exc:
        raise FaceImageError("not a supported image: expected JPEG, PNG or WebP data") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FaceImageError("image refused as a decompression bomb") from exc
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error) as exc:
        # PIL reports truncated or corrupt data through a zoo of exception types.
        raise FaceImageError(f"corrupt or truncated image data ({type(exc).__name__})") from exc


def _from_array(arr: np.ndarray, *, max_pixels: int) -> np.ndarray:
    if arr.dtype != np.uint8:
        raise FaceImageError(f"numpy image must be uint8, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        _check_pixels(arr.shape[1], arr.shape[0], max_pixels)
        return np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        _check_pixels(arr.shape[1], arr.shape[0], max_pixels)
        return np.ascontiguousarray(arr[:, :, :3])
    raise FaceImageError(f"numpy image must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")


def decode_image(
    image: ImageInput, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Return ``image`` as an RGB uint8 array (H, W, 3), EXIF orientation applied.

    Accepts encoded bytes (JPEG, PNG, WebP), a PIL image or a numpy array (HxW grey,
    HxWx3 RGB, HxWx4 RGBA, uint8). Raises :class:`FaceImageError` for anything else.
    """
    if isinstance(image, np.ndarray):
        return _from_array(image, max_pixels=max_pixels)
    if isinstance(image, Image.Image):
        _check_pixels(image.width, image.height, max_pixels)
        try:
            img = ImageOps.exif_transpose(image) or image
            return _to_rgb(img)
        except (OSError, ValueError) as exc:
            raise FaceImageError(f"cannot convert PIL image ({type(exc).__name__})") from exc
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _decode_bytes(bytes(image), max_bytes=max_bytes, max_pixels=max_pixels)
    raise FaceImageError(
        f"unsupported input type {type(image).__name__}: pass bytes, a PIL image or a numpy array"
    )


def resize_rgb(rgb: np.ndarray, scale: float) -> np.ndarray:
    """Downscale (or upscale) an RGB array with a good, fast filter."""
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(img)
