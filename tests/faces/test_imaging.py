"""Safe decoding: every supported input works, every bad input raises FaceImageError."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from smilepay.faces import FaceImageError, analyze, decode_image, imaging


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def obama_small(examples) -> Image.Image:
    return Image.open(examples / "obama_small.jpg").convert("RGB")


def test_it_decodes_jpeg_png_and_webp_to_the_same_rgb_shape(obama_small):
    for fmt in ("JPEG", "PNG", "WEBP"):
        rgb = decode_image(_encode(obama_small, fmt))
        assert rgb.dtype == np.uint8
        assert rgb.shape == (obama_small.height, obama_small.width, 3)


def test_it_expands_greyscale_palette_and_rgba_images(obama_small):
    for mode in ("L", "P", "RGBA", "LA", "1"):
        rgb = decode_image(_encode(obama_small.convert(mode), "PNG"))
        assert rgb.shape == (obama_small.height, obama_small.width, 3)


def test_it_accepts_numpy_grey_rgb_and_rgba_arrays():
    for shape in ((20, 30), (20, 30, 1), (20, 30, 3), (20, 30, 4)):
        assert decode_image(np.zeros(shape, np.uint8)).shape == (20, 30, 3)


def test_it_rejects_numpy_arrays_of_the_wrong_type_or_shape():
    with pytest.raises(FaceImageError, match="uint8"):
        decode_image(np.zeros((20, 30, 3), np.float32))
    with pytest.raises(FaceImageError, match="shape"):
        decode_image(np.zeros((20, 30, 5), np.uint8))


def test_it_applies_the_exif_orientation(obama_small):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: the decoded image must come out portrait
    rgb = decode_image(_encode(obama_small, "JPEG", exif=exif.tobytes()))
    assert rgb.shape[:2] == (obama_small.width, obama_small.height)


def test_it_rejects_empty_bytes():
    with pytest.raises(FaceImageError, match="empty"):
        decode_image(b"")


def test_it_rejects_text_that_is_not_an_image():
    with pytest.raises(FaceImageError, match="not a supported image"):
        analyze(b"hello, I am definitely a JPEG")


def test_it_rejects_a_truncated_jpeg(examples):
    data = (examples / "obama_small.jpg").read_bytes()
    with pytest.raises(FaceImageError, match="corrupt or truncated"):
        decode_image(data[: len(data) // 2])


def test_it_rejects_a_jpeg_with_a_corrupt_header(examples):
    data = bytearray((examples / "obama_small.jpg").read_bytes())
    data[2:200] = b"\x00" * 198
    with pytest.raises(FaceImageError):
        decode_image(bytes(data))


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims width x height pixels (all zero, highly compressible)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    comp = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    raw = b"".join(comp.compress(row) for _ in range(64)) + comp.flush()
    sig = b"\x89PNG\r\n\x1a\n"
    return sig + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_it_refuses_a_decompression_bomb_png_before_decoding_it():
    bomb = _png_bomb(20_000, 20_000)  # 400 MP claimed, a few KB on disk
    assert len(bomb) < 100_000
    with pytest.raises(FaceImageError, match="decompression bomb"):
        decode_image(bomb)


def test_it_refuses_input_above_the_byte_cap():
    with pytest.raises(FaceImageError, match="above the cap"):
        decode_image(b"\xff\xd8" + b"\x00" * (imaging.MAX_BYTES + 1))


def test_it_refuses_images_above_the_pixel_cap(obama_small):
    with pytest.raises(FaceImageError, match="pixels"):
        decode_image(_encode(obama_small, "PNG"), max_pixels=1000)


def test_it_refuses_formats_other_than_jpeg_png_and_webp(obama_small):
    for fmt in ("GIF", "BMP", "TIFF"):
        with pytest.raises(FaceImageError, match="not a supported image"):
            decode_image(_encode(obama_small, fmt))


def test_it_refuses_unsupported_python_types():
    with pytest.raises(FaceImageError, match="unsupported input type"):
        analyze("/etc/passwd")  # a path string is not image data


@pytest.mark.parametrize(
    ("value", "expected"), [("", 15 * 1024 * 1024), ("1000", 1000), ("lots", "ConfigError")]
)
def test_the_byte_cap_reads_the_environment_and_an_empty_value_keeps_the_default(value, expected):
    import os
    import subprocess
    import sys

    # The caps are read once, when the module loads: check them in a fresh interpreter.
    code = "from smilepay.faces import imaging; print(imaging.MAX_BYTES)"
    env = {**os.environ, "SMILEPAY_FACES_MAX_BYTES": value}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert str(expected) in (run.stdout if run.returncode == 0 else run.stderr)
