"""``analyze``: decode, detect, landmarks, quality, encoding and smile for every face."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import detect as _detect
from . import encode as _encode
from . import encoders as _encoders
from .config import current as _config
from .errors import FaceImageError
from .imaging import ImageInput, decode_image
from .quality import assess
from .types import Face


def _smile_fn():
    # Imported lazily: the smile model lives in its own module and may be absent.
    try:
        from .smile import smile_score
    except ImportError:
        return None
    return smile_score


def analyze(
    image: ImageInput,
    *,
    want_encoding: bool = True,
    want_smile: bool = True,
    max_faces: int | None = None,
    upsample: int | None = None,
    keep_chip: bool = False,
    flip: bool = True,
) -> list[Face]:
    """Every face in ``image``, largest first.

    ``image`` is encoded bytes (JPEG/PNG/WebP), a PIL image or a numpy RGB/grey array.
    ``want_encoding=False`` skips the (most expensive) encoding step, e.g. for liveness
    frames; ``max_faces`` limits landmarks/encoding work to the largest faces;
    ``upsample`` overrides the detector's upsampling policy (see ``detect``);
    ``flip=False`` encodes the chip without its mirror image: half the encoding cost, for
    same-person checks between frames, but slightly less accurate than the calibrated
    default, so do not use it for gallery search.
    Raises :class:`FaceImageError` for input that is not a usable image.
    """
    rgb = decode_image(image)
    return analyze_rgb(
        rgb,
        want_encoding=want_encoding,
        want_smile=want_smile,
        max_faces=max_faces,
        upsample=upsample,
        keep_chip=keep_chip,
        flip=flip,
    )


def analyze_rgb(
    rgb: np.ndarray,
    *,
    want_encoding: bool = True,
    want_smile: bool = True,
    max_faces: int | None = None,
    upsample: int | None = None,
    keep_chip: bool = False,
    flip: bool = True,
) -> list[Face]:
    """``analyze`` for an already decoded RGB uint8 array (H, W, 3), e.g. from
    ``decode_image``; saves decoding a frame twice."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise FaceImageError(f"analyze_rgb needs an (H, W, 3) uint8 array, got {rgb.shape}")
    rgb = np.ascontiguousarray(rgb)  # dlib needs C order
    h, w = rgb.shape[:2]
    dets = _detect.detect(rgb, upsample=upsample)
    if max_faces is not None:
        dets = dets[:max_faces]
    smile_score = _smile_fn() if want_smile else None
    faces: list[Face] = []
    shapes = []
    for det in dets:
        shape = _detect.landmarks5(rgb, det)
        marks = _detect.landmarks_dict(shape)
        box = _detect.clip_box(det, h, w)
        raw = (det.top, det.right, det.bottom, det.left)
        quality = assess(rgb=rgb, box=box, raw_box=raw, landmarks=marks)
        smile = math.nan
        if smile_score is not None:
            smile = float(smile_score(rgb=rgb, box=box, landmarks=marks))
        faces.append(
            Face(box=box, landmarks=marks, quality=quality, smile=smile, detection_score=det.score)
        )
        shapes.append(shape)
    if faces and keep_chip and not want_encoding:
        for face, shape in zip(faces, shapes, strict=True):
            face._chip_maker = functools.partial(_encode.face_chip, rgb, shape)
    elif faces and want_encoding:
        chips = [_encode.face_chip(rgb, s) for s in shapes]
        where = [(face.box, face.landmarks) for face in faces]
        encodings = _encoders.encode_faces(rgb, chips, where, config=_config(), flip=flip)
        for face, enc in zip(faces, encodings, strict=True):
            face.encoding = enc
        if keep_chip:
            for face, chip in zip(faces, chips, strict=True):
                face.chip = chip
    return faces
