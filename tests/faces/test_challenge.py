"""The server-chosen capture challenge: its timing rules, and bursts that do or do not
follow it (built from real lfw-dev photos, neutral and smiling)."""

from __future__ import annotations

import numpy as np
import pytest

from smilepay.faces import CaptureTimes, Challenge, check_burst, check_capture, liveness
from smilepay.faces.challenge import PATTERNS, fixed_challenge, new_challenge, parse_frame_times
from smilepay.faces.lab import bursts

NEUTRAL, SMILING = "Adrien_Brody_0005.jpg", "Adrien_Brody_0007.jpg"


@pytest.fixture(scope="module")
def adrien(faces_dir):
    folder = faces_dir / "lfw-dev" / "Adrien_Brody"
    return (folder / NEUTRAL).read_bytes(), (folder / SMILING).read_bytes()


def test_new_challenges_vary_in_pattern_and_timing():
    drawn = [new_challenge() for _ in range(60)]
    assert len(set(drawn)) > 10, "prompt times are drawn at random"
    assert {challenge.pattern for challenge in drawn} == set(PATTERNS)


def test_a_challenge_survives_its_json_round_trip():
    challenge = new_challenge()
    assert Challenge.from_json(challenge.as_json()) == challenge


def test_frames_taken_as_planned_follow_the_challenge():
    challenge = fixed_challenge("smile-neutral-smile", holds=[400, 100])
    assert check_capture(challenge, challenge.planned_times()) == ""


def test_it_refuses_the_wrong_number_of_frames():
    challenge = fixed_challenge("neutral-smile")
    assert check_capture(challenge, challenge.planned_times()[:-1]) == "challenge_frames"


def test_it_refuses_frames_out_of_order_or_all_at_once():
    challenge = fixed_challenge("neutral-smile")
    times = challenge.planned_times()
    assert check_capture(challenge, [times[1], times[0], *times[2:]]) == "challenge_order"
    assert check_capture(challenge, [times[0]] * len(times)) == "challenge_order"


def test_it_refuses_a_frame_taken_before_its_prompt_or_after_the_next_one():
    challenge = fixed_challenge("neutral-smile", holds=[500])
    times = challenge.planned_times()
    smile_prompt = challenge.steps[1].prompt_at_ms
    early_smile = [*times[:4], smile_prompt + 100, *times[5:]]
    assert check_capture(challenge, early_smile) == "challenge_timing"
    late_neutral = [*times[:3], smile_prompt + 10, *times[4:]]
    assert check_capture(challenge, late_neutral) == "challenge_timing"


def test_the_capture_must_happen_within_the_ticket_life_and_take_its_time():
    challenge = fixed_challenge("neutral-smile")
    times = challenge.planned_times()
    issued = 1_000_000.0
    received = issued + 500 + times[-1] + 300
    ok = {"issued_at_ms": issued, "received_at_ms": received}
    assert check_capture(challenge, times, started_at_ms=issued + 500, **ok) == ""
    # A device clock a few seconds off is tolerated; a burst from another day is not.
    assert check_capture(challenge, times, started_at_ms=issued - 5_000, **ok) == ""
    assert check_capture(challenge, times, started_at_ms=issued - 86_400_000, **ok) == (
        "challenge_clock"
    )
    too_soon = {"issued_at_ms": issued, "received_at_ms": issued + times[-1] / 2}
    assert check_capture(challenge, times, **too_soon) == "challenge_clock"


@pytest.mark.parametrize(
    "raw",
    ["[" * 5000, '{"a":' * 100_000, "[[[[[[[[[[1]]]]]]]]]]", "[1e999, 1, 2, 3]", " " * 10**6],
)
def test_capture_times_that_are_not_a_short_list_of_numbers_get_a_plain_refusal(raw):
    with pytest.raises(ValueError, match="capture time"):
        parse_frame_times(raw, count=4)


def test_capture_times_of_a_long_burst_still_parse():
    times = [123_456.789 + 250 * i for i in range(12)]
    assert parse_frame_times(str(times), count=12) == times


def test_liveness_follows_a_smile_relax_smile_challenge(adrien):
    neutral, smiling = adrien
    challenge = fixed_challenge("smile-neutral-smile")
    frames, _ = bursts.challenge_burst(neutral, smiling, challenge, rng=np.random.default_rng(3))
    result = liveness(frames, expressions=challenge.expressions())
    assert (result.passed, result.reason) == (True, "ok")
    assert challenge.expressions()[result.best_index] == "neutral"


def test_a_neutral_then_smile_burst_does_not_pass_a_smile_relax_smile_ticket(adrien):
    neutral, smiling = adrien
    challenge = fixed_challenge("smile-neutral-smile")
    # What a recording of the usual sequence gives: neutral, neutral, then smiling.
    frames = bursts.camera_frames(neutral, 6, rng=np.random.default_rng(4))
    frames += bursts.camera_frames(smiling, 3, rng=np.random.default_rng(5))
    result = liveness(frames, expressions=challenge.expressions())
    assert result.passed is False
    assert result.reason in {"not_relaxed", "smiling_from_start"}


@pytest.mark.slow
def test_check_burst_fails_a_burst_whose_times_do_not_follow_its_ticket(adrien):
    neutral, smiling = adrien
    challenge = fixed_challenge("neutral-smile", holds=[600])
    frames, times = bursts.challenge_burst(
        neutral, smiling, challenge, rng=np.random.default_rng(6)
    )
    followed = check_burst(
        frames, challenge=challenge, times=CaptureTimes(times), require_pad=False
    )
    assert followed.passed, followed.reason
    rushed = [t / 2 for t in times]
    result = check_burst(frames, challenge=challenge, times=CaptureTimes(rushed), require_pad=False)
    assert (result.passed, result.reason, result.outcome) == (False, "challenge_timing", "not_live")
    assert result.encoding is not None, "a failed burst still says whose face it was"
    missing = check_burst(frames, challenge=challenge, times=None, require_pad=False)
    assert missing.reason == "challenge_timing"
