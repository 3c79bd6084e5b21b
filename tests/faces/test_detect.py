"""The BlazeFace detector, its HOG fallback and the box the landmark predictor gets."""

from __future__ import annotations

import numpy as np
import pytest

from smilepay.faces import analyze, blazeface, detect
from smilepay.faces.imaging import decode_image
from smilepay.faces.lab.dataset import _iou


def _rgb(path) -> np.ndarray:
    return decode_image(path.read_bytes())


def _box(d) -> tuple[int, int, int, int]:
    return (d.top, d.right, d.bottom, d.left)


def test_blazeface_has_mediapipes_896_anchors_in_its_order():
    anchors = blazeface.anchors()
    assert anchors.shape == (896, 2)
    # 16x16 cells with 2 anchors each, then 8x8 cells with 6 each.
    assert np.allclose(anchors[0], anchors[1]) and np.allclose(anchors[0], [1 / 32, 1 / 32])
    assert np.allclose(anchors[512], [1 / 16, 1 / 16]) and np.allclose(
        anchors[512:518], anchors[512]
    )


@pytest.mark.slow
def test_the_default_detector_finds_every_face_hog_finds_in_the_example_photos(examples):
    # Large faces are BlazeFace's; the two-people photo and the small faces of
    # obama_and_biden (found by the HOG fallback) must not be lost.
    folder = examples.parent
    for path in sorted(folder.rglob("*.jpg")) + sorted(folder.rglob("*.png")):
        rgb = _rgb(path)
        hog, fast = detect.hog(rgb), detect.detect(rgb, method="blazeface")
        assert len(fast) >= len(hog), path.name
        for h in hog:
            assert max(_iou(_box(h), _box(f)) for f in fast) >= 0.3, path.name


def test_a_seal_on_the_wall_behind_a_speaker_is_not_a_face(examples):
    rgb = _rgb(examples / "knn_examples" / "test" / "obama1.jpg")
    assert len(blazeface.detect(rgb, min_score=0.5)) == 2  # MediaPipe's default sees two
    assert len(detect.detect(rgb, method="blazeface")) == 1


@pytest.mark.slow
def test_the_mapped_box_is_the_box_hog_would_draw_on_lfw_faces(faces_dir):
    photos = sorted((faces_dir / "lfw-dev").glob("*/*_0001.jpg"))[:40]
    overlaps, shifts = [], []
    for path in photos:
        rgb = _rgb(path)
        hog = detect.hog(rgb)
        fast = detect.blazeface_faces(rgb)
        if not hog or not fast:
            continue
        h = min(hog, key=lambda d: abs((d.left + d.right) / 2 - 125))
        f = max(fast, key=lambda d: _iou(_box(d), _box(h)))
        overlaps.append(_iou(_box(h), _box(f)))
        a = detect.points(detect.landmarks5(rgb, h))
        b = detect.points(detect.landmarks5(rgb, f))
        eyes = np.linalg.norm(a[0:2].mean(0) - a[2:4].mean(0))
        shifts.append(np.linalg.norm(a - b, axis=1).max() / eyes)
    assert len(overlaps) >= 35
    assert np.median(overlaps) > 0.7  # boxes differ face by face, by design of each
    assert np.median(shifts) < 0.05  # but dlib's 5 points barely move


def test_analyze_finds_and_encodes_a_kiosk_frame_with_the_fast_detector(examples):
    faces = analyze((examples / "obama-480p.jpg").read_bytes(), want_smile=False)
    assert len(faces) == 1 and faces[0].encoding.shape == (128,)


def test_the_hog_detector_can_still_be_chosen(engine_env, examples):
    engine_env(SMILEPAY_FACE_DETECTOR="hog")
    rgb = _rgb(examples / "obama.jpg")
    assert [_box(d) for d in detect.detect(rgb)] == [_box(d) for d in detect.hog(rgb)]


@pytest.mark.parametrize("value", ["cnn", "BlazeFace"])
def test_an_unknown_detector_is_refused_at_start_up(engine_env, value):
    from smilepay.env import ConfigError

    with pytest.raises(ConfigError):
        engine_env(SMILEPAY_FACE_DETECTOR=value)
