"""A second encoder fused with dlib: alignment, preprocessing, fusion, configuration."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from smilepay.env import ConfigError
from smilepay.faces import Gallery, analyze, compare, config, decide, encoders
from smilepay.faces.config import CALIBRATIONS, EncoderSpec

ARCFACE_EYES = np.array([[38.2946, 51.6963], [73.5318, 51.5014]])


def _fused_config(path) -> str:
    return f"dlib,mobilefacenet:{path}"


def test_the_aligned_crop_puts_the_eyes_on_the_arcface_template():
    # A synthetic face: a bright dot at each eye centre, its 5 points a rotated, scaled
    # and shifted copy of the template.
    rgb = np.zeros((400, 300, 3), np.uint8)
    eyes = np.array([[110.0, 150.0], [190.0, 160.0]])
    for x, y in eyes:
        rgb[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3] = 255
    template = encoders.ARCFACE_112
    forward = encoders.similarity(template[:2], eyes)
    points = template @ forward[:, :2].T + forward[:, 2]
    crop = encoders.aligned_crop(rgb, points).astype(float).sum(2)
    ys, xs = np.nonzero(crop > 200)
    for expected in ARCFACE_EYES:
        near = np.hypot(xs - expected[0], ys - expected[1]) < 4
        assert near.any(), f"no bright pixel near {expected}"
    assert not (np.hypot(xs - 56, ys - 90) < 10).any()  # and nothing where no dot is


def test_a_real_face_is_aligned_by_its_eye_centres_nose_tip_and_mouth_corners(examples):
    face = analyze((examples / "obama.jpg").read_bytes(), want_smile=False)[0]
    rgb = np.asarray(Image.open(examples / "obama.jpg").convert("RGB"))
    points = encoders.alignment_points(rgb, (face.box, face.landmarks))
    left_eye, right_eye, nose, mouth_left, mouth_right = points
    # dlib's 5 points: each eye's two corners (their midpoint is near the eye's centre)
    # and the base of the nose, which sits a little above the tip.
    dlib_eyes = sorted(
        (np.mean(face.landmarks[k], axis=0) for k in ("left_eye", "right_eye")),
        key=lambda p: p[0],
    )
    eye_distance = float(np.hypot(*(dlib_eyes[1] - dlib_eyes[0])))
    assert np.hypot(*(left_eye - dlib_eyes[0])) < 0.15 * eye_distance
    assert np.hypot(*(right_eye - dlib_eyes[1])) < 0.15 * eye_distance
    assert left_eye[1] < nose[1] < mouth_left[1] and nose[1] < mouth_right[1]
    assert mouth_left[0] < nose[0] < mouth_right[0]
    assert 0.6 * eye_distance < mouth_right[0] - mouth_left[0] < 1.2 * eye_distance
    # Aligned by them, the crop's eyes and mouth sit where the template puts them.
    forward = encoders.similarity(points, encoders.ARCFACE_112)
    moved = points @ forward[:, :2].T + forward[:, 2]
    assert np.abs(moved - encoders.ARCFACE_112).max() < 6


def test_a_second_encoder_changes_the_configuration_fingerprint_with_its_alignment(mobilefacenet):
    specs = config.parse_encoders(_fused_config(mobilefacenet))
    assert config.fingerprint_of(specs) == f"dlib+{specs[1].token}/mesh5"
    assert config.fingerprint_of(specs[:1]) == "dlib"


def test_the_fused_encoding_is_a_weighted_concatenation_of_unit_vectors():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 128)), rng.normal(size=(2, 192))
    w = (0.6, 0.8)
    fused = encoders.fuse([a, b], w)
    assert fused.shape == (2, 320)
    assert np.allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-6)
    # Squared distance = 2 - 2 * sum(w_i^2 cos_i): Euclidean distance stays the score.
    cos = [float(x[0] @ x[1] / np.linalg.norm(x[0]) / np.linalg.norm(x[1])) for x in (a, b)]
    expected = 2 - 2 * (w[0] ** 2 * cos[0] + w[1] ** 2 * cos[1])
    assert float(np.sum((fused[0] - fused[1]) ** 2)) == pytest.approx(expected, abs=1e-5)


def _tiny_arcface(path, *, batch="N") -> None:
    """An ONNX model with the InsightFace layout: (N, 3, 112, 112) -> (N, 512). It averages
    each channel and maps (R, G, B) to the first three outputs, so the output shows the
    scaling and the channel order the encoder fed it."""
    import onnx
    from onnx import TensorProto, helper

    weight = np.zeros((3, 512), np.float32)
    weight[0, 0] = weight[1, 1] = weight[2, 2] = 1.0
    weight[:, 3] = 1e-3  # never all-zero, so the output has a direction
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["embedding"]),
        ],
        "tiny_arcface",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [batch, 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, 512])],
        [helper.make_tensor("w", TensorProto.FLOAT, weight.shape, weight.ravel())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.mark.parametrize("batch", ["N", 1])
def test_arcface_onnx_gets_rgb_scaled_to_plus_minus_one_in_nchw(tmp_path, batch):
    # No ArcFace model can be had here: a tiny stand-in checks preprocessing and shapes.
    path = tmp_path / "tiny.onnx"
    _tiny_arcface(path, batch=batch)
    spec = EncoderSpec("arcface-onnx", path, config._sha256(path))
    rgb = np.empty((300, 300, 3), np.uint8)
    rgb[:] = (255, 127, 0)  # R high, G middle, B low
    points = encoders.ARCFACE_112 * 2 + 40
    out = encoders.second_encodings(spec, rgb, [points])
    assert out.shape == (1, 512)
    expected = np.zeros(512)
    expected[:4] = [(255 - 127.5) / 127.5, (127 - 127.5) / 127.5, (0 - 127.5) / 127.5, 0]
    expected[3] = 1e-3 * expected[:3].sum()
    assert np.allclose(out[0], expected / np.linalg.norm(expected), atol=1e-4)


def test_a_configuration_without_a_calibrated_record_refuses_to_start(engine_env, tmp_path):
    path = tmp_path / "tiny.onnx"
    _tiny_arcface(path)
    with pytest.raises(ConfigError, match="no calibrated record"):
        engine_env(SMILEPAY_FACE_ENCODERS=f"dlib,arcface-onnx:{path}")


def test_an_operator_record_file_lets_a_licensed_model_start(engine_env, tmp_path, examples):
    path = tmp_path / "tiny.onnx"
    _tiny_arcface(path)
    spec = EncoderSpec("arcface-onnx", path, config._sha256(path))
    record = {
        "encoders": ["dlib", spec.token],
        "weights": [3.0, 4.0],  # normalised on load: 0.6, 0.8
        "match_threshold": 0.5,
        "match_margin": 0.02,
        "match_fmr": 1e-4,
        "verify_threshold": 0.5,
        "smile_match_factor": 1.1,  # measured by the operator with lookalike_check.py
    }
    records = tmp_path / "calibrations.json"
    key = f"dlib+{spec.token}/mesh5"
    records.write_text(json.dumps({"version": 1, "configurations": {key: record}}))
    loaded = engine_env(
        SMILEPAY_FACE_ENCODERS=f"dlib,arcface-onnx:{path}",
        SMILEPAY_FACE_CALIBRATIONS=str(records),
    )
    assert loaded.fingerprint == key and loaded.dim == 640
    assert loaded.weights == pytest.approx((0.6, 0.8))
    face = analyze((examples / "obama.jpg").read_bytes(), want_smile=False)[0]
    assert face.encoding.shape == (640,)
    assert np.linalg.norm(face.encoding[:128]) == pytest.approx(0.6, abs=1e-5)


@pytest.mark.parametrize(
    "value, message",
    [
        ("mobilefacenet:/x.tflite", "start with dlib"),
        ("dlib,resnet100:/x.onnx", "unknown encoder"),
        ("dlib,mobilefacenet:/nowhere.tflite", "not found"),
    ],
)
def test_a_bad_encoder_setting_is_refused_at_start_up(engine_env, value, message):
    with pytest.raises(ConfigError, match=message):
        engine_env(SMILEPAY_FACE_ENCODERS=value)


def test_a_model_file_of_the_wrong_kind_is_refused_at_start_up(engine_env, mobilefacenet):
    with pytest.raises(ConfigError, match="does not load"):
        engine_env(SMILEPAY_FACE_ENCODERS=f"dlib,arcface-onnx:{mobilefacenet}")


@pytest.mark.slow
def test_mobilefacenet_fused_with_dlib_recognises_real_faces(engine_env, mobilefacenet, examples):
    loaded = engine_env(SMILEPAY_FACE_ENCODERS=_fused_config(mobilefacenet))
    assert loaded.dim == 320 and loaded.fingerprint.startswith("dlib+mobilefacenet@")

    def enc(name: str) -> np.ndarray:
        return analyze((examples / name).read_bytes(), want_smile=False)[0].encoding

    obama, obama2, biden = enc("obama.jpg"), enc("obama2.jpg"), enc("biden.jpg")
    assert obama.shape == (320,) and np.linalg.norm(obama) == pytest.approx(1.0, abs=1e-5)
    assert compare(obama, obama2) <= loaded.match_threshold < compare(obama, biden)
    gallery = Gallery()
    gallery.add("obama", [obama2])
    gallery.add("biden", [biden])
    assert decide(gallery.search(enc("obama-480p.jpg"), k=2)).identity_id == "obama"


def test_the_mobilefacenet_test_model_is_the_one_measured(mobilefacenet):
    from smilepay.faces.lab.test_models import SHA256

    assert config._sha256(mobilefacenet) == SHA256


@pytest.mark.slow
def test_liveness_returns_the_fused_encoding_for_the_search(engine_env, mobilefacenet, faces_dir):
    from smilepay.faces import liveness
    from smilepay.faces.lab import bursts

    engine_env(SMILEPAY_FACE_ENCODERS=_fused_config(mobilefacenet))
    person = faces_dir / "lfw-dev" / "Bill_Gates"
    frames = bursts.genuine_burst(
        person / "Bill_Gates_0001.jpg",
        person / "Bill_Gates_0002.jpg",
        rng=np.random.default_rng(11),
    )
    result = liveness(frames)
    assert result.passed, result.reason
    assert result.encoding.shape == (320,)
    enrolled = analyze((person / "Bill_Gates_0003.jpg").read_bytes(), want_smile=False)[0]
    assert compare(result.encoding, enrolled.encoding) <= config.current().match_threshold


@pytest.mark.slow
def test_calibration_measures_the_second_encoding_the_engine_computes(
    engine_env, mobilefacenet, faces_dir, tmp_path, monkeypatch
):
    # The lab encodes lfw-dev its own way (cached boxes and points); the thresholds it
    # calibrates hold only if that is the runtime's encoding, alignment included.
    import shutil

    from smilepay.faces.lab.dataset import Dataset, second_encodings

    loaded = engine_env(SMILEPAY_FACE_ENCODERS=_fused_config(mobilefacenet))
    monkeypatch.setenv("SMILEPAY_FACES_CACHE", str(tmp_path / "cache"))
    person = tmp_path / "lfw" / "Bill_Gates"
    person.mkdir(parents=True)
    for i in (1, 2):
        name = f"Bill_Gates_000{i}.jpg"
        shutil.copy(faces_dir / "lfw-dev" / "Bill_Gates" / name, person / name)
    ds = Dataset.load(tmp_path / "lfw")
    lab = second_encodings(ds, loaded.encoders[1], detector=loaded.detector, progress=False)
    for k, path in enumerate(ds.paths):
        face = analyze(path.read_bytes(), want_smile=False)[0]
        runtime = face.encoding[128:] / np.linalg.norm(face.encoding[128:])
        assert float(lab[k] @ runtime) > 0.999


def test_the_look_alike_limit_comes_from_the_configuration_record(engine_env, tmp_path):
    from smilepay.faces import smile_match_threshold

    loaded = engine_env()
    assert loaded.smile_match_factor == loaded.record["smile_match_factor"]
    assert smile_match_threshold() == pytest.approx(
        loaded.record["smile_match_factor"] * loaded.verify_threshold
    )
    engine_env(SMILEPAY_SMILE_MATCH_FACTOR="1.05", SMILEPAY_VERIFY_THRESHOLD="0.3")
    assert smile_match_threshold() == pytest.approx(0.315)


def test_the_fused_configuration_has_its_own_look_alike_factor(engine_env, mobilefacenet):
    dlib = engine_env().smile_match_factor
    fused = engine_env(SMILEPAY_FACE_ENCODERS=_fused_config(mobilefacenet))
    assert "smile_match_factor" in fused.record and fused.smile_match_factor != dlib


def test_a_record_without_a_look_alike_factor_starts_only_with_one_given(engine_env, tmp_path):
    """An operator's own model: dlib's factor would be wrong for its distances."""
    data = json.loads(CALIBRATIONS.read_text())
    del data["configurations"]["dlib"]["smile_match_factor"]
    record = tmp_path / "calibrations.json"
    record.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"lookalike_check\.py --half tuning"):
        engine_env(SMILEPAY_FACE_CALIBRATIONS=str(record))
    given = engine_env(SMILEPAY_FACE_CALIBRATIONS=str(record), SMILEPAY_SMILE_MATCH_FACTOR="1.1")
    assert given.smile_match_factor == 1.1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "many"])
def test_a_bad_look_alike_factor_is_refused_at_start_up(engine_env, value):
    with pytest.raises(ConfigError):
        engine_env(SMILEPAY_SMILE_MATCH_FACTOR=value)


def test_the_fused_configuration_affords_a_wider_same_person_limit(engine_env, mobilefacenet):
    # Its look-alike check stops swaps on its own (docs/faces-liveness.md, the sweep).
    assert engine_env().same_person_max_distance == 0.39
    fused = engine_env(SMILEPAY_FACE_ENCODERS=_fused_config(mobilefacenet))
    assert fused.same_person_max_distance == fused.record["same_person_max_distance"] == 0.45


def test_a_record_without_a_same_person_limit_keeps_dlibs(engine_env, tmp_path):
    # The limit is a dlib distance in every configuration: dlib's bounds them all.
    data = json.loads(CALIBRATIONS.read_text())
    del data["configurations"]["dlib"]["same_person_max_distance"]
    record = tmp_path / "calibrations.json"
    record.write_text(json.dumps(data))
    assert engine_env(SMILEPAY_FACE_CALIBRATIONS=str(record)).same_person_max_distance == 0.39


@pytest.mark.parametrize("value", ["0", "-0.2", "nan", "inf", "far"])
def test_a_bad_same_person_limit_is_refused_at_start_up(engine_env, value):
    with pytest.raises(ConfigError, match="SMILEPAY_SAME_PERSON_MAX_DISTANCE"):
        engine_env(SMILEPAY_SAME_PERSON_MAX_DISTANCE=value)
