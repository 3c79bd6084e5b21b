"""The smile challenge on bursts built from real photos (smilepay.faces.lab.bursts)."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from smilepay.faces import FaceImageError, analyze, liveness
from smilepay.faces.lab import bursts

# The module, not the function ``smilepay.faces.liveness`` that the package exports.
liveness_module = importlib.import_module("smilepay.faces.liveness")

# Neutral and smiling photos of the same people in lfw-dev (SMILEsmileD labels).
PEOPLE = {
    "Adrien_Brody": ("Adrien_Brody_0005.jpg", "Adrien_Brody_0007.jpg"),
    "Joan_Laporta": ("Joan_Laporta_0001.jpg", "Joan_Laporta_0002.jpg"),
}


@pytest.fixture(scope="module")
def photos(faces_dir):
    def photo(name: str, smiling: bool) -> bytes:
        return (faces_dir / "lfw-dev" / name / PEOPLE[name][smiling]).read_bytes()

    return photo


@pytest.fixture
def rng():
    return np.random.default_rng(11)


@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_it_passes_a_neutral_then_smiling_burst_and_returns_the_encoding(name, photos, rng):
    result = liveness(bursts.genuine_burst(photos(name, False), photos(name, True), rng=rng))
    assert (result.passed, result.reason) == (True, "ok")
    assert 0 <= result.best_index < 4, "recognise from a neutral frame"
    assert result.encoding is not None and result.encoding.shape == (128,)
    assert 0.5 <= result.score <= 1


def test_it_encodes_the_smiling_face_once_without_its_mirror(photos, rng, monkeypatch):
    # The smiling face is only compared, never searched: one ResNet pass, not two (the
    # same-person and look-alike thresholds were measured on that encoding).
    batches = []
    descriptors = liveness_module.descriptors
    monkeypatch.setattr(
        liveness_module,
        "descriptors",
        lambda chips: batches.append(len(chips)) or descriptors(chips),
    )
    name = "Adrien_Brody"
    result = liveness(bursts.genuine_burst(photos(name, False), photos(name, True), rng=rng))
    assert result.passed and batches == [3]
    smiling = [
        analyze(frame, want_smile=False, flip=False)[0].encoding for frame in result.frames_rgb[4:]
    ]
    assert min(np.linalg.norm(e - result.smile_encoding) for e in smiling) < 1e-5


def test_it_rejects_a_still_photo_replayed(photos):
    result = liveness(bursts.replayed_photo_burst(photos("Adrien_Brody", True)))
    assert (result.passed, result.reason) == (False, "static_frames")


def test_it_rejects_a_still_photo_re_encoded_each_frame(photos):
    result = liveness(bursts.reencoded_photo_burst(photos("Joan_Laporta", False)))
    assert (result.passed, result.reason) == (False, "static_frames")


def test_it_rejects_a_smiling_photo_held_up_to_the_camera(photos, rng):
    result = liveness(bursts.held_photo_burst(photos("Adrien_Brody", True), rng=rng))
    assert (result.passed, result.reason) == (False, "smiling_from_start")


def test_it_rejects_a_face_that_never_smiles(photos, rng):
    result = liveness(bursts.held_photo_burst(photos("Joan_Laporta", False), rng=rng))
    assert (result.passed, result.reason) == (False, "no_smile")


def test_it_rejects_a_burst_in_which_the_person_changes(photos, rng):
    frames = bursts.person_change_burst(
        photos("Joan_Laporta", False), photos("Adrien_Brody", True), rng=rng
    )
    result = liveness(frames)
    assert (result.passed, result.reason) == (False, "person_changed")


def test_the_same_person_limit_is_the_configurations(photos, rng, engine_env):
    """Read once at start-up from the calibrated record (or its override): a genuine burst
    whose neutral and smiling photos lie farther apart than the limit is refused."""
    frames = bursts.genuine_burst(
        photos("Adrien_Brody", False), photos("Adrien_Brody", True), rng=rng
    )
    distance = liveness(frames).same_person_distance
    assert liveness_module.same_person_limit() == 0.39  # dlib's record
    engine_env(SMILEPAY_SAME_PERSON_MAX_DISTANCE=str(distance * 0.9))
    assert liveness(frames).reason == "person_changed"


def test_it_rejects_too_few_frames(photos, rng):
    frames = bursts.genuine_burst(
        photos("Adrien_Brody", False), photos("Adrien_Brody", True), rng=rng, smiling_frames=1
    )
    assert liveness(frames[:3]).reason == "too_few_frames"


def test_it_rejects_a_burst_without_a_face():
    blank = bursts.camera_frames(
        np.full((250, 250, 3), 128, np.uint8), 8, rng=np.random.default_rng(1)
    )
    assert liveness(blank).reason == "no_face"


def test_it_rejects_two_people_side_by_side(examples, rng):
    frames = bursts.camera_frames((examples / "two_people.jpg").read_bytes(), 8, rng=rng)
    assert liveness(frames).reason == "multiple_faces"


def test_it_raises_the_engine_error_for_a_frame_that_is_not_an_image(photos, rng):
    frames = bursts.genuine_burst(
        photos("Adrien_Brody", False), photos("Adrien_Brody", True), rng=rng
    )
    with pytest.raises(FaceImageError):
        liveness([*frames[:-1], b"not an image"])


def test_a_passing_burst_reports_how_much_each_measure_rose(photos, rng):
    from smilepay.faces.liveness import RISE_THRESHOLDS

    frames = bursts.genuine_burst(
        photos("Joan_Laporta", False), photos("Joan_Laporta", True), rng=rng
    )
    result = liveness(frames)
    assert set(result.rises) == set(RISE_THRESHOLDS) == {"logit", "width", "lift"}
    assert max(result.rises[name] / RISE_THRESHOLDS[name] for name in RISE_THRESHOLDS) >= 1


def test_a_held_photo_rises_far_less_than_any_threshold(photos, rng):
    from smilepay.faces.liveness import RISE_THRESHOLDS

    result = liveness(bursts.held_photo_burst(photos("Adrien_Brody", True), rng=rng))
    assert all(result.rises[name] < 0.5 * RISE_THRESHOLDS[name] for name in RISE_THRESHOLDS)


def test_the_smile_model_scores_a_photo_alike_at_every_camera_distance(photos):
    from PIL import Image

    from smilepay.faces import analyze
    from smilepay.faces.imaging import decode_image

    rgb = decode_image(photos("Adrien_Brody", True))
    scores = []
    for size in (250, 375, 500, 625):
        resized = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR))
        scores.append(analyze(resized, want_encoding=False)[0].smile)
    assert max(scores) - min(scores) < 0.2


def test_it_still_decides_by_the_smile_model_when_the_mouth_cannot_be_measured(
    photos, rng, monkeypatch
):
    import importlib

    module = importlib.import_module("smilepay.faces.liveness")

    def no_mouth(**_):
        raise ValueError("degenerate mesh")

    monkeypatch.setattr(module, "mouth_of", no_mouth)
    frames = bursts.genuine_burst(
        photos("Joan_Laporta", False), photos("Joan_Laporta", True), rng=rng
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = liveness(frames)
    assert result.passed and np.isnan(result.rises["width"])
