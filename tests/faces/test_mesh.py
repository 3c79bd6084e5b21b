"""Face Mesh landmarks and the mouth's shape on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from smilepay.faces import analyze
from smilepay.faces.imaging import decode_image
from smilepay.faces.lab import bursts
from smilepay.faces.mesh import MOUTH_LEFT, MOUTH_RIGHT, face_mesh, model_path, mouth_of


def mouth(data: bytes):
    rgb = decode_image(data)
    face = analyze(rgb, want_encoding=False)[0]
    return mouth_of(rgb=rgb, box=face.box, landmarks=face.landmarks)


def lfw(faces_dir, name: str, index: int) -> bytes:
    return (faces_dir / "lfw-dev" / name / f"{name}_{index:04d}.jpg").read_bytes()


def test_the_landmark_model_comes_from_the_installed_mediapipe_wheel():
    path = model_path()
    assert path.name == "face_landmark.tflite" and path.stat().st_size > 500_000


def test_it_puts_the_mouth_corners_in_the_lower_face_either_side_of_the_nose(examples):
    rgb = decode_image((examples / "obama.jpg").read_bytes())
    face = analyze(rgb, want_encoding=False)[0]
    points = face_mesh(rgb=rgb, box=face.box, landmarks=face.landmarks)
    top, right, bottom, left = face.box
    nose_x = face.landmarks["nose_tip"][0][0]
    for corner in (points[MOUTH_LEFT], points[MOUTH_RIGHT]):
        assert left < corner[0] < right
        assert (top + bottom) / 2 < corner[1] < bottom + 0.1 * (bottom - top)
    assert points[MOUTH_LEFT][0] < nose_x < points[MOUTH_RIGHT][0]


def test_the_mouth_shape_does_not_depend_on_the_image_size(examples):
    small = mouth((examples / "obama-480p.jpg").read_bytes()).as_array()
    large = mouth((examples / "obama-1080p.jpg").read_bytes()).as_array()
    assert np.abs(small - large).max() < 0.03


@pytest.mark.parametrize(
    ("name", "neutral", "smiling"), [("Adrien_Brody", 5, 7), ("Joan_Laporta", 1, 2)]
)
def test_the_mouth_widens_when_the_same_person_smiles(faces_dir, name, neutral, smiling):
    before = mouth(lfw(faces_dir, name, neutral))
    after = mouth(lfw(faces_dir, name, smiling))
    assert after.width > before.width + 0.03


def test_a_held_photo_barely_changes_shape_under_camera_jitter(faces_dir):
    frames = bursts.held_photo_burst(
        lfw(faces_dir, "Adrien_Brody", 7), rng=np.random.default_rng(3), count=4
    )
    widths = [mouth(frame).width for frame in frames]
    assert max(widths) - min(widths) < 0.03
