"""Lazy, thread-safe loading of the dlib models (each is loaded once per process).

Only commercially usable models are on the default path: dlib's HOG frontal detector,
the 5-point landmark predictor and the ResNet recognition model (see docs/models.md).
The 68-point predictor is never loaded here.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import cache
from pathlib import Path

import dlib

_load_lock = threading.Lock()
# dlib's detector, predictor and network keep scratch buffers inside the object, so one
# call at a time per model; callers wanting parallelism should use processes.
DETECT_LOCK = threading.Lock()
SHAPE_LOCK = threading.Lock()
ENCODE_LOCK = threading.Lock()


def models_dir() -> Path:
    """Directory of the face_recognition_models data files.

    Found without importing the package, whose __init__ drags in pkg_resources.
    """
    override = os.environ.get("SMILEPAY_FACES_MODELS_DIR")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _locked_cache(fn):
    cached = cache(fn)

    def wrapper():
        with _load_lock:
            return cached()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_locked_cache
def detector():
    return dlib.get_frontal_face_detector()


@_locked_cache
def shape_predictor():
    return dlib.shape_predictor(str(models_dir() / "shape_predictor_5_face_landmarks.dat"))


@_locked_cache
def recognition_model():
    return dlib.face_recognition_model_v1(
        str(models_dir() / "dlib_face_recognition_resnet_model_v1.dat")
    )
