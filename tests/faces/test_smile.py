"""The smile score on SMILEsmileD crops and full photos (5-point path only)."""

from __future__ import annotations

import numpy as np
import pytest

from smilepay.faces import analyze
from smilepay.faces.smile import MODEL_PATH


def crops(faces_dir, label: str, count: int = 40) -> list[bytes]:
    folder = faces_dir / "smiles" / label / f"{label}7"
    return [path.read_bytes() for path in sorted(folder.glob("*.jpg"))[:count]]


def test_the_model_weights_ship_with_the_code():
    assert MODEL_PATH.exists() and MODEL_PATH.stat().st_size < 2_000_000


@pytest.mark.slow
def test_smiling_faces_score_higher_than_neutral_ones(faces_dir):
    import io

    from PIL import Image

    def scores(label: str) -> list[float]:
        out = []
        for data in crops(faces_dir, label):
            # The crops are 64 px: upsample as the engine's policy suggests for tiny faces.
            img = Image.open(io.BytesIO(data)).convert("RGB").resize((256, 256))
            faces = analyze(np.asarray(img), want_encoding=False)
            if faces:
                out.append(faces[0].smile)
        return out

    smiling, neutral = scores("positives"), scores("negatives")
    assert len(smiling) >= 20 and len(neutral) >= 20
    assert np.median(smiling) > 0.5 > np.median(neutral)


def test_the_same_photo_scores_alike_at_camera_scale(faces_dir):
    from smilepay.faces.lab import bursts

    photo = (faces_dir / "lfw-dev" / "Adrien_Brody" / "Adrien_Brody_0007.jpg").read_bytes()
    (frame,) = bursts.camera_frames(photo, 1, rng=np.random.default_rng(2))
    assert abs(analyze(photo)[0].smile - analyze(frame)[0].smile) < 0.2
