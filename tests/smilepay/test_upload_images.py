"""Pixel bombs, animations and corrupt frames are refused before (or by) decoding, on
every upload path, with a clear code and never a 500."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.recognition import Outcome, recognize_burst
from payments import services as payment_services
from smilepay.faces import FaceImageError, decode_image
from smilepay.frames import FrameError, validate_burst
from smilepay.upload_images import ImageRefused, frame_header
from tests.accounts.conftest import make_customer
from tests.payments import factories as f


def encoded(size: tuple[int, int], fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, fmt, **options)
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A PNG of a few KB that claims width x height pixels (one colour compresses well)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:])
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = png_bomb(6000, 6000)  # what the probe sent: 36 MP, about 100 KB
    assert len(data) < 200_000
    return data


def small_frame() -> bytes:
    return encoded((640, 480), "JPEG")


# --- the header check ---------------------------------------------------------------------


def test_a_6000_pixel_png_is_refused_from_its_header(bomb):
    with pytest.raises(ImageRefused) as refused:
        frame_header(bomb, max_bytes=600_000)
    assert refused.value.code == "frame_dimensions"
    assert "6000 x 6000" in str(refused.value)


def test_a_picture_too_big_even_to_measure_is_refused_without_made_up_numbers():
    """Pillow stops at the header of a bomb above its own limit: no size to report."""
    with pytest.raises(ImageRefused) as refused:
        frame_header(png_bomb(20_000, 20_000), max_bytes=2_000_000)
    assert refused.value.code == "frame_dimensions"
    assert str(refused.value) == "The picture is larger than 1920 x 1920 pixels."


def test_a_damaged_jpeg_is_called_damaged_not_of_the_wrong_kind():
    with pytest.raises(ImageRefused) as refused:
        frame_header(b"\xff\xd8\xff" + bytes(200), max_bytes=600_000)
    assert refused.value.code == "not_an_image"
    assert "damaged or cut off" in str(refused.value)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_a_jpeg_or_webp_above_the_side_cap_is_refused(fmt):
    with pytest.raises(ImageRefused) as refused:
        frame_header(encoded((2400, 100), fmt), max_bytes=600_000)
    assert refused.value.code == "frame_dimensions"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animation_is_not_a_frame(fmt):
    with pytest.raises(ImageRefused) as refused:
        frame_header(animated(fmt), max_bytes=600_000)
    assert refused.value.code == "not_an_image"


@pytest.mark.parametrize(
    "data", [b"GIF89a" + bytes(100), encoded((64, 48), "BMP"), b"\xff\xd8\xff"]
)
def test_other_formats_and_bare_signatures_are_not_images(data):
    with pytest.raises(ImageRefused) as refused:
        frame_header(data, max_bytes=600_000)
    assert refused.value.code == "not_an_image"


def test_a_camera_frame_passes_without_being_decoded():
    header = frame_header(small_frame(), max_bytes=600_000)
    assert (header.format, header.width, header.height) == ("JPEG", 640, 480)


def test_the_face_engine_refuses_the_probes_pixel_bomb_itself(bomb):
    with pytest.raises(FaceImageError, match="decompression bomb"):
        decode_image(bomb)


# --- every upload path ------------------------------------------------------------------


def test_a_kiosk_burst_with_one_pixel_bomb_is_refused(bomb):
    with pytest.raises(FrameError) as refused:
        validate_burst([small_frame()] * 7 + [bomb])
    assert refused.value.code == "frame_dimensions"
    assert str(refused.value).startswith("Frame 8")


def test_a_truncated_frame_with_a_good_header_is_a_bad_image_outcome_not_a_crash():
    frame = small_frame()
    burst = [frame] * 7 + [frame[: len(frame) // 3]]
    validate_burst(burst)  # the header is fine; the pixels are the engine's to judge
    assert recognize_burst(frames=burst).outcome == Outcome.BAD_IMAGE


@pytest.mark.django_db
def test_an_online_confirmation_with_pixel_bombs_is_refused_before_the_engine(bomb):
    cafe = f.merchant()
    customer = make_customer("pat@example.com", "+12025550177", consent=True)
    payment = payment_services.payment_create(
        merchant_id=cafe.pk, customer_id=customer.pk, amount_minor=700, currency="USD"
    )
    client = Client(raise_request_exception=False)
    client.force_login(customer)
    frames = [SimpleUploadedFile(f"f{i}.png", bomb, "image/png") for i in range(12)]
    response = client.post(f"/me/payments/{payment.pk}/confirm/face/", {"frame": frames})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "bad_burst"
    assert "6000 x 6000" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["check", "capture"])
def test_an_enrolment_picture_that_is_a_pixel_bomb_is_refused(bomb, path):
    client = Client(raise_request_exception=False)
    client.force_login(make_customer("sam@example.com", "+12025550188", consent=True))
    response = client.post(f"/me/face/enroll/{path}/", bomb, content_type="image/png")
    assert response.status_code == 422
    assert response.json()["error"] == "bad_image"
    assert "6000 x 6000" in response.json()["message"]
