"""Camera bursts built from still photographs, for tests, benchmarks and fake webcams.

A real camera never delivers the same frame twice: the sensor adds noise and the head
moves a little. ``camera_frames`` imitates that from one photo (a small random shift,
scale and exposure change, Gaussian noise, JPEG encoding), placed on a 640x480 frame.
The attack bursts are what a fraudster could show the kiosk: the same picture replayed,
or a printed photo held up and moving, neutral or smiling.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..imaging import ImageInput, decode_image

FRAME_SIZE = (640, 480)
Photo = ImageInput | Path


def _rgb(photo: Photo) -> np.ndarray:
    return decode_image(photo.read_bytes() if isinstance(photo, Path) else photo)


def _place(photo: np.ndarray, *, scale: float, dx: float, dy: float, size) -> Image.Image:
    width, height = size
    img = Image.fromarray(photo)
    # A face-filling photo: the shorter frame side shows ~90 % of the photo's height.
    base = 0.9 * height / img.height
    w, h = int(img.width * base * scale), int(img.height * base * scale)
    img = img.resize((w, h), Image.BILINEAR)
    frame = Image.new("RGB", size, (96, 96, 96))
    frame.paste(img, (int((width - w) / 2 + dx), int((height - h) / 2 + dy)))
    return frame


def _jpeg(frame: np.ndarray | Image.Image, quality: int = 88) -> bytes:
    if isinstance(frame, np.ndarray):
        frame = Image.fromarray(frame)
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=quality)
    return out.getvalue()


def camera_frames(
    photo: Photo,
    count: int,
    *,
    rng: np.random.Generator,
    size: tuple[int, int] = FRAME_SIZE,
    shift: float = 4.0,
    zoom: float = 0.03,
    noise: float = 2.5,
) -> list[bytes]:
    """``count`` distinct JPEG frames of one photo as a live camera would see it."""
    rgb = _rgb(photo)
    frames = []
    for _ in range(count):
        frame = _place(
            rgb,
            scale=1 + rng.uniform(-zoom, zoom),
            dx=rng.uniform(-shift, shift),
            dy=rng.uniform(-shift, shift),
            size=size,
        )
        pixels = np.asarray(frame, dtype=np.float32) * rng.uniform(0.96, 1.04)
        pixels += rng.normal(0, noise, pixels.shape)
        frames.append(_jpeg(np.clip(pixels, 0, 255).astype(np.uint8)))
    return frames


def genuine_burst(
    neutral: Photo,
    smiling: Photo,
    *,
    rng: np.random.Generator,
    neutral_frames: int = 4,
    smiling_frames: int = 4,
) -> list[bytes]:
    """Look at the camera (neutral), then smile: what a real customer produces."""
    return camera_frames(neutral, neutral_frames, rng=rng) + camera_frames(
        smiling, smiling_frames, rng=rng
    )


def challenge_burst(
    neutral: Photo, smiling: Photo, challenge, *, rng: np.random.Generator
) -> tuple[list[bytes], list[int]]:
    """A customer following a capture challenge (``smilepay.faces.challenge``): camera
    frames of the neutral or the smiling photo as each step asks, and the frames'
    planned capture times (what the page sends with them)."""
    frames: list[bytes] = []
    for step in challenge.steps:
        photo = smiling if step.expression == "smile" else neutral
        frames += camera_frames(photo, step.frames, rng=rng)
    return frames, challenge.planned_times()


def replayed_photo_burst(photo: Photo, count: int = 8) -> list[bytes]:
    """One picture sent again and again (a still image on a fake camera or a replay)."""
    frame = _jpeg(_place(_rgb(photo), scale=1.0, dx=0, dy=0, size=FRAME_SIZE))
    return [frame] * count


def reencoded_photo_burst(photo: Photo, count: int = 8) -> list[bytes]:
    """One picture, re-encoded at a different JPEG quality each time."""
    placed = _place(_rgb(photo), scale=1.0, dx=0, dy=0, size=FRAME_SIZE)
    return [_jpeg(placed, quality=80 + i % 15) for i in range(count)]


def held_photo_burst(photo: Photo, *, rng: np.random.Generator, count: int = 8) -> list[bytes]:
    """A printed photo held up to the camera: it moves and the sensor adds noise, but the
    expression never changes."""
    return camera_frames(photo, count, rng=rng, shift=8.0, zoom=0.05)


def person_change_burst(
    first_neutral: Photo,
    second_smiling: Photo,
    *,
    rng: np.random.Generator,
) -> list[bytes]:
    """One person looks at the camera, another smiles."""
    return genuine_burst(first_neutral, second_smiling, rng=rng)


def frames_to_pil(frames: Sequence[bytes]) -> list[Image.Image]:
    return [Image.open(io.BytesIO(frame)).convert("RGB") for frame in frames]
