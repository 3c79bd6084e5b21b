"""Presentation-attack detection on real webcam frames (NUAA, ../shared/faces/pad-nuaa-dev):
a live person in front of the webcam against a printed photo of them held up."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from smilepay.faces import check_burst, spoof_check
from smilepay.faces import pad as pad_module
from smilepay.faces.lab import bursts

NAME = re.compile(r"_(\d+)\.jpg$")


@pytest.fixture(scope="module")
def nuaa(faces_dir):
    root = faces_dir / "pad-nuaa-dev"
    if not root.is_dir():
        pytest.skip(f"{root} is missing")

    def capture(kind: str, capture_id: str, count: int = 3) -> list[bytes]:
        """The first ``count`` frames of one capture, in frame order."""
        folder = root / kind / capture_id[:4]
        paths = sorted(
            folder.glob(f"{capture_id}_*.jpg"), key=lambda p: int(NAME.search(p.name)[1])
        )
        return [p.read_bytes() for p in paths[:count]]

    return capture


def test_it_accepts_a_live_person_in_front_of_a_webcam(nuaa):
    result = spoof_check(nuaa("ClientRaw", "0003_01_00_01"))
    assert (result.live, result.reason) == (True, "ok")
    assert result.score >= pad_module.live_threshold()
    assert len(result.frame_scores) == 3


def test_it_refuses_a_printed_photo_held_up_to_the_webcam(nuaa):
    result = spoof_check(nuaa("ImposterRaw", "0002_01_00_01"))
    assert (result.live, result.reason) == (False, "presentation_attack")
    assert result.score < 0.01


def test_it_scores_a_few_frames_spread_over_the_burst():
    assert pad_module.scored_indices(8) == [0, 4, 7]
    assert pad_module.scored_indices(2) == [0, 1]
    assert pad_module.scored_indices(8, 1) == [4]


def test_it_judges_tight_portraits_as_attacks_so_synthetic_bursts_cannot_test_it(faces_dir):
    # A studio portrait pasted into a camera frame (how tests and benchmarks build bursts)
    # is not a live face to these networks: PAD is measured on webcam data only.
    photo = faces_dir / "lfw-dev" / "Adrien_Brody" / "Adrien_Brody_0005.jpg"
    frames = bursts.camera_frames(photo, 3, rng=np.random.default_rng(1))
    assert spoof_check(frames).live is False


def test_a_burst_without_a_face_is_not_scored():
    blank = [np.full((480, 640, 3), 128, dtype=np.uint8)] * 3
    assert spoof_check(blank).reason == "no_face"


def test_it_refuses_to_load_a_model_file_that_is_not_the_one_vendored(tmp_path, monkeypatch):
    for name, _, _ in pad_module.MODELS:
        target = tmp_path / name
        target.write_bytes((pad_module.MODELS_DIR / name).read_bytes())
    tampered = tmp_path / pad_module.MODELS[0][0]
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"\0")
    monkeypatch.setattr(pad_module, "MODELS_DIR", Path(tmp_path))
    pad_module._sessions.cache_clear()
    try:
        with pytest.raises(pad_module.ModelFileError, match="sha256"):
            pad_module.load_models()
    finally:
        pad_module._sessions.cache_clear()


def test_check_burst_scores_the_frames_liveness_already_decoded(nuaa, monkeypatch):
    # The PAD stage of a payment must not decode the JPEGs a second time.
    given = []
    decode = pad_module.decode_image
    monkeypatch.setattr(
        pad_module, "decode_image", lambda image, **kw: given.append(image) or decode(image, **kw)
    )
    frames = nuaa("ClientRaw", "0003_01_00_01", count=8)
    result = check_burst(frames)
    assert result.spoof is not None and len(result.spoof.frame_scores) == 3
    assert len(given) == 3 and all(isinstance(image, np.ndarray) for image in given)
    assert result.liveness.frames_rgb[0].shape == (480, 640, 3)


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.1", "nan", "live"])
def test_a_bad_pad_threshold_is_refused_at_start_up(engine_env, value):
    from smilepay.env import ConfigError

    with pytest.raises(ConfigError):
        engine_env(SMILEPAY_PAD_THRESHOLD=value)


def test_the_pad_threshold_is_read_once_at_start_up(engine_env, monkeypatch):
    engine_env(SMILEPAY_PAD_THRESHOLD="0.3")
    monkeypatch.setenv("SMILEPAY_PAD_THRESHOLD", "0.6")  # no restart: not seen
    assert pad_module.live_threshold() == 0.3
    assert engine_env().pad_threshold == 0.6
