"""analyze() on real photos: resolutions, several people, partial faces, 32-bit PNG."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from smilepay.faces import Face, analyze, compare, match_threshold


def _faces(path, **kw) -> list[Face]:
    return analyze(path.read_bytes(), want_smile=False, **kw)


@pytest.fixture(scope="module")
def obama_by_resolution(examples) -> dict[str, Face]:
    out = {}
    for res in ("240p", "480p", "720p", "1080p"):
        faces = _faces(examples / f"obama-{res}.jpg")
        assert len(faces) == 1, res
        out[res] = faces[0]
    return out


def test_it_returns_a_face_with_box_landmarks_quality_and_a_float32_encoding(
    obama_by_resolution,
):
    face = obama_by_resolution["720p"]
    top, right, bottom, left = face.box
    assert 0 <= top < bottom <= 720 and 0 <= left < right <= 1280
    assert set(face.landmarks) == {"left_eye", "right_eye", "nose_tip"}
    assert len(face.landmarks["left_eye"]) == 2 and len(face.landmarks["nose_tip"]) == 1
    assert face.encoding.dtype == np.float32 and face.encoding.shape == (128,)
    assert 0.0 <= face.quality.score <= 1.0
    assert face.quality.ok_to_enroll, face.quality.reasons


def test_it_maps_boxes_back_to_input_pixels_at_every_resolution(obama_by_resolution):
    # The same photo scaled: box centres scale with the image.
    ref = obama_by_resolution["1080p"].box
    for res, height in (("240p", 240), ("480p", 480), ("720p", 720)):
        box = obama_by_resolution[res].box
        s = height / 1080
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        expect = ((ref[0] + ref[2]) / 2 * s, (ref[1] + ref[3]) / 2 * s)
        assert abs(centre[0] - expect[0]) < 0.08 * height
        assert abs(centre[1] - expect[1]) < 0.08 * height


def test_the_same_person_matches_at_240p_480p_720p_and_1080p(obama_by_resolution):
    encs = [f.encoding for f in obama_by_resolution.values()]
    for i, a in enumerate(encs):
        for b in encs[i + 1 :]:
            assert compare(a, b) < match_threshold()


def test_different_people_do_not_match(obama_by_resolution, examples):
    biden = _faces(examples / "biden.jpg")[0]
    for face in obama_by_resolution.values():
        assert compare(face.encoding, biden.encoding) > match_threshold()


def test_two_people_photo_returns_two_faces_largest_first(examples):
    faces = _faces(examples / "two_people.jpg")
    assert len(faces) == 2
    assert faces[0].area >= faces[1].area
    assert faces[0].box != faces[1].box


def test_partial_faces_are_found_and_flagged_or_cleanly_absent(test_images):
    for name in ("obama_partial_face.jpg", "obama_partial_face2.jpg"):
        faces = _faces(test_images / name)
        for face in faces:
            top, _, _, left = face.box
            assert top >= 0 and left >= 0  # clipped to the image
        if faces:
            assert faces[0].quality.partial
            assert "partial" in faces[0].quality.reasons


def test_a_32_bit_png_is_analyzed(test_images):
    faces = _faces(test_images / "32bit.png")
    assert len(faces) == 1 and faces[0].encoding is not None


def test_pil_images_and_numpy_arrays_give_the_same_faces_as_bytes(examples):
    data = (examples / "obama-240p.jpg").read_bytes()
    img = Image.open(examples / "obama-240p.jpg")
    from_bytes = analyze(data, want_smile=False)[0]
    from_pil = analyze(img, want_smile=False)[0]
    from_array = analyze(np.asarray(img.convert("RGB")), want_smile=False)[0]
    assert from_bytes.box == from_pil.box == from_array.box
    assert compare(from_bytes.encoding, from_array.encoding) < 1e-5


def test_want_encoding_false_skips_the_encoding(examples):
    face = _faces(examples / "obama-480p.jpg", want_encoding=False)[0]
    assert face.encoding is None and face.quality.size > 0


def test_small_images_are_upsampled_so_their_faces_are_found(examples):
    img = Image.open(examples / "obama_small.jpg").convert("RGB")
    for side in (64, 96, 160, 250):
        scale = side / max(img.size)
        small = img.resize((round(img.width * scale), round(img.height * scale)))
        assert analyze(small, want_smile=False), side


def test_an_image_without_a_face_returns_an_empty_list():
    assert analyze(np.full((240, 320, 3), 128, np.uint8)) == []


def test_a_blurred_face_is_flagged_blurry(examples):
    from PIL import ImageFilter

    img = Image.open(examples / "obama-480p.jpg").filter(ImageFilter.GaussianBlur(6))
    faces = analyze(img, want_smile=False, want_encoding=False)
    if faces:  # heavy blur may hide the face altogether, which is also a refusal
        assert "blurry" in faces[0].quality.reasons


def test_a_dark_face_is_flagged_too_dark(examples):
    arr = np.asarray(Image.open(examples / "obama-480p.jpg").convert("RGB"))
    dark = (arr.astype(np.float32) * 0.25).astype(np.uint8)
    faces = analyze(dark, want_smile=False, want_encoding=False)
    if faces:
        assert "too_dark" in faces[0].quality.reasons


def test_a_rotated_face_is_flagged_not_frontal(examples):
    img = Image.open(examples / "obama-480p.jpg").rotate(30, expand=True)
    faces = analyze(img, want_smile=False, want_encoding=False)
    if faces:
        assert "not_frontal" in faces[0].quality.reasons


def test_analyze_is_safe_to_call_from_several_threads(examples):
    from concurrent.futures import ThreadPoolExecutor

    data = [(examples / n).read_bytes() for n in ("obama-240p.jpg", "obama_small.jpg")] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: analyze(d, want_smile=False), data))
    assert all(len(r) == 1 for r in results)
    assert compare(results[0][0].encoding, results[2][0].encoding) < 1e-5
