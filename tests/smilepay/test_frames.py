import io

import pytest
from PIL import Image

from smilepay.frames import FrameError, stash_frames, stashed_frames, take_frames, validate_burst


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def test_it_accepts_a_burst_of_jpeg_frames():
    validate_burst([jpeg()] * 8)


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([jpeg()] * 2, "too_few_frames"),
        ([jpeg()] * 40, "too_many_frames"),
        ([jpeg()] * 7 + [b""], "empty_frame"),
        ([jpeg()] * 7 + [b"%PDF-1.7 not an image"], "not_an_image"),
        ([jpeg()] * 7 + [b"\xff\xd8\xff" + b"0" * 2_000_000], "frame_too_large"),
    ],
)
def test_it_rejects_a_bad_burst_with_a_clear_code(frames, code):
    with pytest.raises(FrameError) as error:
        validate_burst(frames)
    assert error.value.code == code
    assert str(error.value)


def test_stashed_frames_can_be_taken_only_once():
    key = stash_frames([b"a", b"b"])
    assert take_frames(key) == [b"a", b"b"]
    assert take_frames(key) is None


def test_of_two_runs_that_read_a_burst_at_once_only_the_one_that_removed_it_gets_it(monkeypatch):
    from smilepay import frames as module

    key = stash_frames([b"a", b"b"])
    real_cache, taken = module.cache, []

    class OtherRunInBetween:
        """The cache as the first run sees it: the other run takes the burst between
        the first run's read and its delete."""

        def get(self, key):
            value = real_cache.get(key)
            monkeypatch.setattr(module, "cache", real_cache)
            taken.append(take_frames(key))
            return value

        def delete(self, key):
            return real_cache.delete(key)

    monkeypatch.setattr(module, "cache", OtherRunInBetween())
    assert take_frames(key) is None
    assert taken == [[b"a", b"b"]]


def test_a_burst_stashed_for_an_upload_that_is_refused_leaves_the_cache_at_once():
    with pytest.raises(RuntimeError), stashed_frames([b"frame"] * 4) as refused:
        raise RuntimeError("the upload's transaction was refused")
    with stashed_frames([b"frame"] * 4) as accepted:
        pass
    assert take_frames(refused) is None
    assert take_frames(accepted) == [b"frame"] * 4
