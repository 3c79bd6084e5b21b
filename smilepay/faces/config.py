"""The engine's configuration: detector, encoders, calibrated thresholds. Read once.

``load()`` reads the environment, checks every value, hashes the encoder model files and
finds the calibrated record of that encoder configuration; Django calls it at start-up
(``smilepay.apps``) and the command line before its first command, so a bad value stops
the process at boot, not at the first payment. ``current()`` returns what was loaded (and
loads it on first use elsewhere, e.g. in a research script).

Variables:

* ``SMILEPAY_FACE_DETECTOR``: ``blazeface`` (default) or ``hog``.
* ``SMILEPAY_FACE_ENCODERS``: comma-separated encoders, ``dlib`` first: ``dlib`` (default),
  ``dlib,mobilefacenet:/path/MobileFaceNet.tflite``, ``dlib,arcface-onnx:/path/model.onnx``.
* ``SMILEPAY_FACE_CALIBRATIONS``: an extra calibration file (same layout as
  ``calibrations.json``) for an operator's own models; its records win.
* ``SMILEPAY_MATCH_THRESHOLD``, ``SMILEPAY_MATCH_MARGIN``, ``SMILEPAY_MATCH_FMR``,
  ``SMILEPAY_VERIFY_THRESHOLD``, ``SMILEPAY_SMILE_MATCH_FACTOR``,
  ``SMILEPAY_SAME_PERSON_MAX_DISTANCE``: override the calibrated record's values.
* ``SMILEPAY_FACE_DETECTOR_MODEL``, ``SMILEPAY_FACE_MESH_MODEL``, ``SMILEPAY_SMILE_MODEL``,
  ``SMILEPAY_PAD_THRESHOLD``: checked here too (the files exist, the smile choice is
  known, the PAD threshold is a probability).

The encoder configuration's *fingerprint* names it in the calibration file and on every
stored template: ``dlib``, or ``dlib+mobilefacenet@<first 16 hex of the model's sha256>/mesh5``
(``/mesh5``: how the second encoder's crops are aligned). Templates of one fingerprint
cannot be compared with another's.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

from smilepay.env import ConfigError, env_float, env_str

DETECTORS = ("blazeface", "hog")
# Output size of each encoder kind (the fused encoding is their concatenation).
ENCODER_DIMS = {"dlib": 128, "mobilefacenet": 192, "arcface-onnx": 512}
CALIBRATIONS = Path(__file__).with_name("calibrations.json")
CALIBRATION_VERSION = 1

_lock = threading.Lock()
_loaded: EngineConfig | None = None


@dataclass(frozen=True)
class EncoderSpec:
    kind: str
    path: Path | None = None
    sha256: str | None = None

    @property
    def token(self) -> str:
        return self.kind if self.sha256 is None else f"{self.kind}@{self.sha256[:16]}"

    @property
    def dim(self) -> int:
        return ENCODER_DIMS[self.kind]


@dataclass(frozen=True)
class EngineConfig:
    detector: str
    encoders: tuple[EncoderSpec, ...]
    weights: tuple[float, ...]  # one per encoder, squares sum to 1
    match_threshold: float
    match_margin: float
    match_fmr: float
    verify_threshold: float
    smile_match_factor: float  # the look-alike check's limit / verify_threshold
    same_person_max_distance: float  # the smile challenge's limit (a dlib distance)
    pad_threshold: float  # mean live probability a burst needs (pad.spoof_check)
    smile_model: str  # "" (the shipped model) or "landmarks68" (non-commercial baseline)
    record: dict  # the calibrated record as stored (what it was measured with, figures)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.encoders)

    @property
    def dim(self) -> int:
        return sum(e.dim for e in self.encoders)


# How second encoders' crops are aligned (encoders.alignment_points). Part of the
# fingerprint: templates made with another alignment are not comparable.
SECOND_ENCODER_ALIGNMENT = "mesh5"


def fingerprint_of(encoders: tuple[EncoderSpec, ...]) -> str:
    name = "+".join(e.token for e in encoders)
    return name if len(encoders) == 1 else f"{name}/{SECOND_ENCODER_ALIGNMENT}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_encoders(raw: str) -> tuple[EncoderSpec, ...]:
    """``SMILEPAY_FACE_ENCODERS`` as encoder specs; model files must exist (hashed)."""
    items = [item.strip() for item in (raw or "dlib").split(",") if item.strip()]
    if not items or items[0] != "dlib":
        raise ConfigError(f"SMILEPAY_FACE_ENCODERS must start with dlib, got {raw!r}")
    specs = [EncoderSpec("dlib")]
    for item in items[1:]:
        kind, _, location = item.partition(":")
        kind = kind.strip()
        if kind not in ENCODER_DIMS or kind == "dlib":
            raise ConfigError(
                f"SMILEPAY_FACE_ENCODERS: unknown encoder {kind!r} "
                "(after dlib: mobilefacenet:PATH or arcface-onnx:PATH)"
            )
        path = Path(location.strip()).expanduser()
        if not location.strip() or not path.is_file():
            raise ConfigError(f"SMILEPAY_FACE_ENCODERS: {kind} model file {str(path)!r} not found")
        specs.append(EncoderSpec(kind, path, _sha256(path)))
    if len({s.token for s in specs}) != len(specs):
        raise ConfigError("SMILEPAY_FACE_ENCODERS names the same model twice")
    return tuple(specs)


def read_calibrations(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text())
    if data.get("version") != CALIBRATION_VERSION:
        raise ConfigError(f"{path}: calibration file version {data.get('version')!r} unknown")
    return data["configurations"]


def calibrations() -> dict[str, dict]:
    """Every calibrated record: the repository's, then the operator's file over it."""
    records = read_calibrations(CALIBRATIONS)
    extra = env_str("SMILEPAY_FACE_CALIBRATIONS").strip()
    if extra:
        if not Path(extra).is_file():
            raise ConfigError(f"SMILEPAY_FACE_CALIBRATIONS: {extra!r} not found")
        records.update(read_calibrations(Path(extra)))
    return records


def _distance(name: str, default: float) -> float:
    value = env_float(name, default)
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a finite, non-negative number, got {value!r}")
    return value


def _fmr(default: float) -> float:
    value = env_float("SMILEPAY_MATCH_FMR", default)
    if not 0 < value < 1:
        raise ConfigError(f"SMILEPAY_MATCH_FMR must be between 0 and 1, got {value!r}")
    return value


def _factor(record: dict, name: str) -> float:
    # No default: a factor measured on one encoder's distances is wrong for another's
    # (dlib's 1.20 let 2.2% of look-alike swaps through the fused MobileFaceNet encodings,
    # docs/faces-liveness.md). A record without one starts only if the operator says so.
    value = env_float("SMILEPAY_SMILE_MATCH_FACTOR", record.get("smile_match_factor", math.nan))
    if math.isnan(value) and "smile_match_factor" not in record:
        raise ConfigError(
            f"face encoders {name!r} have no look-alike factor: measure it with "
            "`benchmarks/lookalike_check.py --half tuning` under this SMILEPAY_FACE_ENCODERS "
            "and add it to the record as smile_match_factor, or set "
            "SMILEPAY_SMILE_MATCH_FACTOR (docs/faces-liveness.md, 'The look-alike check')"
        )
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"SMILEPAY_SMILE_MATCH_FACTOR must be a positive number, got {value!r}")
    return value


# The smile challenge compares the burst's neutral and smiling faces by their dlib
# distance whatever the configuration, so dlib's limit bounds any of them. A configuration
# whose look-alike check stops swaps on its own may afford a wider one (measured, per
# record, by benchmarks/lookalike_check.py's sweep); one without keeps this.
DLIB_SAME_PERSON_MAX_DISTANCE = 0.39


def _same_person_limit(record: dict) -> float:
    value = env_float(
        "SMILEPAY_SAME_PERSON_MAX_DISTANCE",
        record.get("same_person_max_distance", DLIB_SAME_PERSON_MAX_DISTANCE),
    )
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(
            f"SMILEPAY_SAME_PERSON_MAX_DISTANCE must be a positive number, got {value!r}"
        )
    return value


def _weights(record: dict, encoders: tuple[EncoderSpec, ...], name: str) -> tuple[float, ...]:
    weights = tuple(float(w) for w in record["weights"])
    if len(weights) != len(encoders) or any(not w > 0 for w in weights):
        raise ConfigError(f"calibration of {name}: one positive weight per encoder needed")
    norm = math.sqrt(sum(w * w for w in weights))
    return tuple(w / norm for w in weights)


def detector_setting() -> str:
    detector = env_str("SMILEPAY_FACE_DETECTOR", "blazeface").strip() or "blazeface"
    if detector not in DETECTORS:
        raise ConfigError(f"SMILEPAY_FACE_DETECTOR must be one of {DETECTORS}, got {detector!r}")
    return detector


def smile_model_setting() -> str:
    smile = env_str("SMILEPAY_SMILE_MODEL").strip().lower()
    if smile not in ("", "landmarks68"):
        raise ConfigError(f"SMILEPAY_SMILE_MODEL must be empty or landmarks68, got {smile!r}")
    return smile


def _pad_threshold() -> float:
    from .pad import DEFAULT_LIVE_THRESHOLD

    value = env_float("SMILEPAY_PAD_THRESHOLD", DEFAULT_LIVE_THRESHOLD)
    if not 0 < value < 1:
        raise ConfigError(f"SMILEPAY_PAD_THRESHOLD must be between 0 and 1, got {value!r}")
    return value


def _check_model_files(detector: str) -> None:
    """The per-frame models' files, checked at start-up."""
    from . import blazeface, mesh

    files = {"SMILEPAY_FACE_MESH_MODEL": mesh.model_path()}
    if detector == "blazeface":
        files["SMILEPAY_FACE_DETECTOR_MODEL"] = blazeface.model_path()
    for name, path in files.items():
        if not path.is_file():
            raise ConfigError(f"{name}: model file {str(path)!r} not found")


def build(*, check: bool = True) -> EngineConfig:
    """Read and check the configuration from the environment (no caching); ``check``
    loads each second encoder's model, so a wrong file fails here."""
    detector = detector_setting()
    encoders = parse_encoders(env_str("SMILEPAY_FACE_ENCODERS", "dlib"))
    if check:
        from .encoders import check_models

        check_models(encoders)
        _check_model_files(detector)
    name = fingerprint_of(encoders)
    record = calibrations().get(name)
    if record is None:
        raise ConfigError(
            f"face encoders {name!r} have no calibrated record: run "
            "`python -m smilepay.faces calibrate ... --record FILE` with this "
            "SMILEPAY_FACE_ENCODERS and point SMILEPAY_FACE_CALIBRATIONS at FILE "
            "(docs/faces.md, 'Encoders')"
        )
    return EngineConfig(
        detector=detector,
        encoders=encoders,
        weights=_weights(record, encoders, name),
        match_threshold=_distance("SMILEPAY_MATCH_THRESHOLD", record["match_threshold"]),
        match_margin=_distance("SMILEPAY_MATCH_MARGIN", record["match_margin"]),
        match_fmr=_fmr(record["match_fmr"]),
        verify_threshold=_distance("SMILEPAY_VERIFY_THRESHOLD", record["verify_threshold"]),
        smile_match_factor=_factor(record, name),
        same_person_max_distance=_same_person_limit(record),
        pad_threshold=_pad_threshold(),
        smile_model=smile_model_setting(),
        record=record,
    )


def load() -> EngineConfig:
    """(Re)read the configuration and check that each encoder's model loads; start-up."""
    global _loaded
    config = build()
    with _lock:
        _loaded = config
    return config


def current() -> EngineConfig:
    """The configuration loaded at start-up (loaded now if nothing loaded it yet)."""
    config = _loaded
    return config if config is not None else load()


def reload() -> EngineConfig:
    """Read the environment again (tests that change it; an operator's restart does this)."""
    return load()
