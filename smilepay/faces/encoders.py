"""Face encoders and their fusion: dlib's ResNet, plus at most a licensed second model.

``SMILEPAY_FACE_ENCODERS`` (``config.py``) lists them, dlib first. Each encoder gives a
unit-length vector per face; the engine's encoding is their concatenation, each part
multiplied by its calibrated weight (squares summing to 1), so it stays unit length,
``compare`` stays the Euclidean distance and ``Gallery.search`` one matrix product: the
squared distance is ``2 - 2 * sum(w_i^2 * cos_i)``, a weighted sum of each model's cosine
similarity.

Second encoders (the operator brings the model file; none ships, docs/models.md):

* ``mobilefacenet``: a TFLite model (LiteRT), input (2, 112, 112, 3) RGB scaled
  (v - 127.5) / 128, the aligned crop and its mirror in one batch, output (2, 192); the
  two unit vectors are summed and normalised.
* ``arcface-onnx``: the InsightFace layout, ONNX Runtime, input (N, 3, 112, 112) RGB
  scaled (v - 127.5) / 127.5, output (N, 512); the crop and its mirror the same way.

Both are aligned to the standard 5-point ArcFace 112x112 template (eye centres, nose
tip, mouth corners: where MTCNN put them in the crops such models were trained on) by a
least-squares similarity transform from the same five points found by Face Mesh
(``mesh.arcface_points``). dlib's 5 points (eye corners and nose base) are not those
points, and the mouth is not among them: aligned from them, the test-only MobileFaceNet
scored 98.86% on LFW 10-fold and 1.11% FNMR at FMR 1e-4; aligned from Face Mesh, 99.32%
and 0.74% (lfw-dev, docs/faces-accuracy.md). Face Mesh runs only when a second encoder is
configured (about 2 ms a face); dlib keeps its own 5-point alignment.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from PIL import Image

from . import encode as _dlib
from .config import ConfigError, EncoderSpec, EngineConfig
from .mesh import arcface_points, face_mesh
from .types import Box, Landmarks

FaceAt = tuple[Box, Landmarks]  # where a face is: its box and dlib's 5 landmarks

CROP = 112
# The standard ArcFace template: image-left eye centre, image-right eye centre, nose tip,
# image-left and image-right mouth corner (mesh.arcface_points gives them in this order).
ARCFACE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)

_lock = threading.Lock()
_sessions: dict[str, object] = {}


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix of the similarity transform (rotation, scale, shift) that maps the
    points ``src`` onto ``dst`` with the least squared error (Umeyama)."""
    src, dst = np.asarray(src, float), np.asarray(dst, float)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sigma, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1
    rot = u @ np.diag(sign) @ vt
    scale = (sigma * sign).sum() / s.var(0).sum()
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def aligned_crop(rgb: np.ndarray, points: np.ndarray, size: int = CROP) -> np.ndarray:
    """The 112x112 RGB crop of the face whose ArcFace 5 points are ``points`` (5, 2)."""
    forward = similarity(points, ARCFACE_112 * (size / CROP))
    inverse = np.linalg.inv(np.vstack([forward, [0, 0, 1]]))[:2]  # crop -> image
    crop = Image.fromarray(rgb).transform(
        (size, size),
        Image.Transform.AFFINE,
        tuple(inverse.ravel()),
        resample=Image.Resampling.BILINEAR,
    )
    return np.asarray(crop)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class _MobileFaceNet:
    def __init__(self, spec: EncoderSpec) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(spec.path), num_threads=1)
        self.interpreter.allocate_tensors()
        inp = self.interpreter.get_input_details()[0]
        out = self.interpreter.get_output_details()[0]
        if tuple(inp["shape"]) != (2, CROP, CROP, 3) or tuple(out["shape"]) != (2, 192):
            raise ValueError(
                f"{spec.path}: a mobilefacenet model takes (2, 112, 112, 3) and gives "
                f"(2, 192), this one {tuple(inp['shape'])} -> {tuple(out['shape'])}"
            )
        self.input, self.output = inp["index"], out["index"]

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        rows = []
        for crop in crops:
            pair = np.stack([crop, crop[:, ::-1]]).astype(np.float32)
            self.interpreter.set_tensor(self.input, (pair - 127.5) / 128.0)
            self.interpreter.invoke()
            rows.append(_unit(self.interpreter.get_tensor(self.output)).sum(0))
        return _unit(np.array(rows, dtype=np.float32))


class _ArcFaceOnnx:
    def __init__(self, spec: EncoderSpec) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(spec.path), options, providers=["CPUExecutionProvider"]
        )
        inp, out = self.session.get_inputs()[0], self.session.get_outputs()[0]
        if list(inp.shape[1:]) != [3, CROP, CROP] or out.shape[-1] != 512:
            raise ValueError(
                f"{spec.path}: an arcface-onnx model takes (N, 3, 112, 112) and gives "
                f"(N, 512), this one {inp.shape} -> {out.shape}"
            )
        self.input, self.fixed_batch = (
            inp.name,
            inp.shape[0] if isinstance(inp.shape[0], int) else None,
        )

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        batch = np.concatenate([crops, crops[:, :, ::-1]]).astype(np.float32)
        x = ((batch - 127.5) / 127.5).transpose(0, 3, 1, 2)
        if self.fixed_batch:
            out = np.concatenate(
                [self.session.run(None, {self.input: x[i : i + 1]})[0] for i in range(len(x))]
            )
        else:
            out = self.session.run(None, {self.input: x})[0]
        out = _unit(out.reshape(len(x), -1).astype(np.float32))
        return _unit(out[: len(crops)] + out[len(crops) :])


_KINDS = {"mobilefacenet": _MobileFaceNet, "arcface-onnx": _ArcFaceOnnx}


def model(spec: EncoderSpec):
    """The loaded second encoder for ``spec`` (loaded once per process)."""
    with _lock:
        found = _sessions.get(spec.token)
        if found is None:
            found = _sessions[spec.token] = _KINDS[spec.kind](spec)
        return found


def check_models(specs: Sequence[EncoderSpec]) -> None:
    """Load every second encoder now, so a wrong model file fails at start-up."""
    for spec in specs[1:]:
        try:
            model(spec)
        except Exception as exc:  # any loader's error: the operator needs the file named
            raise ConfigError(
                f"SMILEPAY_FACE_ENCODERS: the {spec.kind} model {spec.path} does not load: {exc}"
            ) from exc


def alignment_points(rgb: np.ndarray, face: FaceAt) -> np.ndarray:
    """The ArcFace 5 points (5, 2) of a face found at ``face`` = (box, dlib landmarks)."""
    box, landmarks = face
    return arcface_points(face_mesh(rgb=rgb, box=box, landmarks=landmarks))


def second_encodings(
    spec: EncoderSpec, rgb: np.ndarray, points: Sequence[np.ndarray]
) -> np.ndarray:
    """(n, dim) unit encodings by ``spec``'s model of the faces with these ArcFace 5 points
    (``alignment_points``)."""
    if not points:
        return np.zeros((0, spec.dim), np.float32)
    crops = np.stack([aligned_crop(rgb, np.asarray(p, float)) for p in points])
    return model(spec)(crops)


def fuse(parts: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The engine's encoding from each encoder's unit encodings (n, d_i): weighted
    concatenation, unit length when the weights' squares sum to 1."""
    joined = np.concatenate([w * _unit(p) for p, w in zip(parts, weights, strict=True)], axis=-1)
    return _unit(joined).astype(np.float32)


def complete(rgb: np.ndarray, face: FaceAt, dlib_encoding: np.ndarray, config: EngineConfig):
    """The engine's encoding of one face whose (flip-averaged) dlib encoding is known:
    the dlib encoding itself, or fused with the second encoders' of the same face."""
    if len(config.encoders) == 1:
        return dlib_encoding
    points = [alignment_points(rgb, face)]
    parts = [dlib_encoding[None]] + [second_encodings(s, rgb, points) for s in config.encoders[1:]]
    return fuse(parts, config.weights)[0]


def encode_faces(
    rgb: np.ndarray,
    chips: list[np.ndarray],
    faces: Sequence[FaceAt],
    *,
    config: EngineConfig,
    flip: bool = True,
) -> np.ndarray:
    """Encodings (n, config.dim) of the faces whose dlib chips and (box, landmarks) are
    given."""
    dlib_part = _dlib.encode_chips(chips, flip=flip)
    if len(config.encoders) == 1:
        return dlib_part
    points = [alignment_points(rgb, face) for face in faces]
    parts = [dlib_part] + [second_encodings(s, rgb, points) for s in config.encoders[1:]]
    return fuse(parts, config.weights)
