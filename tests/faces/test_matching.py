"""compare, the threshold in force, the margin rule and the Gallery."""

from __future__ import annotations

import numpy as np
import pytest

from smilepay.faces import (
    Gallery,
    compare,
    config,
    decide,
    match_margin,
    match_threshold,
    matching,
    verify_distance,
    verify_threshold,
)


def _unit(rng, n):
    x = rng.normal(size=(n, 128)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_compare_is_the_euclidean_distance_and_zero_for_the_same_encoding():
    rng = np.random.default_rng(1)
    a, b = _unit(rng, 2)
    assert compare(a, a) == 0.0
    assert compare(a, b) == pytest.approx(float(np.linalg.norm(a - b)), rel=1e-6)


def test_compare_refuses_encodings_of_the_wrong_length():
    with pytest.raises(ValueError):
        compare(np.zeros(127), np.zeros(128))


def _record():
    return config.calibrations()["dlib"]


def test_the_threshold_defaults_to_the_calibrated_value(engine_env):
    engine_env(SMILEPAY_MATCH_THRESHOLD=None)
    assert match_threshold() == _record()["match_threshold"]


def test_the_threshold_can_be_overridden_by_environment(engine_env):
    engine_env(SMILEPAY_MATCH_THRESHOLD="0.33")
    assert match_threshold() == 0.33


def test_a_bad_threshold_fails_when_the_configuration_is_read_at_start_up(engine_env):
    with pytest.raises(ValueError):
        engine_env(SMILEPAY_MATCH_THRESHOLD="not-a-number")


def test_the_1to1_threshold_defaults_to_its_calibrated_value_and_env_overrides_it(engine_env):
    engine_env(SMILEPAY_VERIFY_THRESHOLD=None)
    assert verify_threshold() == _record()["verify_threshold"]
    engine_env(SMILEPAY_VERIFY_THRESHOLD="0.35")
    assert verify_threshold() == 0.35
    engine_env(SMILEPAY_MATCH_THRESHOLD="0.2")  # the 1:N one is separate
    assert verify_threshold() == 0.35
    for bad in ("not-a-number", "-0.1", "nan"):
        with pytest.raises(ValueError):
            engine_env(SMILEPAY_VERIFY_THRESHOLD=bad)


def test_verify_distance_is_the_gallery_distance_to_the_persons_template():
    rng = np.random.default_rng(8)
    x = _unit(rng, 4)
    g = Gallery()
    g.add("a", x[:3] * 2.5)  # lengths do not matter: encodings are directions
    assert verify_distance(x[3], x[:3] * 2.5) == pytest.approx(g.search(x[3], k=1)[0][1], abs=1e-5)


def test_the_margin_can_be_overridden_by_environment(engine_env):
    engine_env(SMILEPAY_MATCH_MARGIN="0.1")
    assert match_margin() == 0.1


def _brute(x, per, q, alive):
    out = []
    for i in alive:
        t = x[per * i : per * i + per].mean(0)
        out.append((float(np.linalg.norm(q - t / np.linalg.norm(t))), i))
    return sorted(out)


def test_gallery_search_returns_the_nearest_identities_in_order():
    rng = np.random.default_rng(2)
    x = _unit(rng, 60)
    g = Gallery(block_rows=8)  # small blocks exercise the multi-block path
    for i in range(20):
        g.add(i, x[3 * i : 3 * i + 3])
    assert len(g) == 20 and g.count(7) == 3
    q = _unit(rng, 1)[0]
    expect = _brute(x, 3, q, range(20))[:5]
    got = g.search(q, k=5)
    assert [i for i, _ in got] == [i for _, i in expect]
    assert [d for _, d in got] == pytest.approx([d for d, _ in expect], abs=1e-5)


def test_gallery_templates_are_the_normalised_mean_of_enrolled_encodings():
    rng = np.random.default_rng(5)
    x = _unit(rng, 3)
    g = Gallery()
    g.add("a", x)
    mean = x.mean(0) / np.linalg.norm(x.mean(0))
    assert g.search(mean, k=1)[0] == ("a", pytest.approx(0.0, abs=1e-3))


def test_gallery_add_folds_later_encodings_into_the_same_template():
    rng = np.random.default_rng(4)
    x = _unit(rng, 4)
    one_go, bit_by_bit = Gallery(), Gallery()
    one_go.add("a", x[:3])
    bit_by_bit.add("a", x[0])
    bit_by_bit.add("a", x[1:3])
    bit_by_bit.add("b", x[3])
    assert len(bit_by_bit) == 2 and bit_by_bit.count("a") == 3
    assert one_go.search(x[3], k=1)[0][1] == pytest.approx(
        bit_by_bit.search(x[3], k=2)[1][1], abs=1e-5
    )


def test_gallery_remove_forgets_an_identity_and_keeps_the_others_searchable():
    rng = np.random.default_rng(3)
    x = _unit(rng, 30)
    g = Gallery(block_rows=4)
    for i in range(10):
        g.add(i, x[3 * i : 3 * i + 3])
    assert g.remove(4) == 3
    assert g.remove(4) == 0
    assert 4 not in g and len(g) == 9
    for row in range(30):
        assert all(ident != 4 for ident, _ in g.search(x[row], k=3))
    q = x[16]
    alive = [i for i in range(10) if i != 4]
    assert [i for i, _ in g.search(q, k=9)] == [i for _, i in _brute(x, 3, q, alive)]
    g.add(4, x[12:15])
    assert 4 in g and len(g) == 10


def test_gallery_add_many_matches_one_by_one_adds():
    rng = np.random.default_rng(6)
    x = _unit(rng, 40)
    a, b = Gallery(block_rows=8), Gallery(block_rows=8)
    for i in range(20):
        a.add(f"id{i}", x[2 * i : 2 * i + 2])
    b.add_many((f"id{i}", x[2 * i : 2 * i + 2]) for i in range(10))
    b.add_many((f"id{i}", x[2 * i : 2 * i + 2]) for i in range(10, 20))
    q = _unit(rng, 1)[0]
    assert a.search(q, k=4) == b.search(q, k=4)


def test_gallery_search_on_an_empty_gallery_returns_nothing():
    assert Gallery().search(np.zeros(128, np.float32)) == []


def test_gallery_refuses_bad_encodings():
    g = Gallery()
    with pytest.raises(ValueError):
        g.add("a", np.zeros((2, 64)))
    with pytest.raises(ValueError):
        g.add("a", np.full(128, np.nan))


def test_decide_needs_the_threshold_and_the_margin():
    t, m = 0.4, 0.05
    assert decide([], threshold=t, margin=m).reason == "empty_gallery"
    assert decide([("a", 0.45)], threshold=t, margin=m).reason == "no_match"
    assert decide([("a", 0.30), ("b", 0.33)], threshold=t, margin=m).reason == "ambiguous"
    ok = decide([("a", 0.30), ("b", 0.50)], threshold=t, margin=m)
    assert ok.matched and ok.identity_id == "a"
    assert decide([("a", 0.30)], threshold=t, margin=m).matched


def test_real_encodings_find_their_owner_in_a_gallery(examples):
    from smilepay.faces import analyze

    def enc(name):
        return analyze((examples / name).read_bytes(), want_smile=False)[0].encoding

    g = Gallery()
    g.add("obama", [enc("obama.jpg"), enc("obama2.jpg")])
    g.add("biden", enc("biden.jpg"))
    result = g.search(enc("obama-480p.jpg"), k=2)
    assert result[0][0] == "obama"
    assert decide(result).matched


def test_the_false_match_rate_in_force_is_the_one_measured_at_the_default_threshold():
    """The kiosk's search-width rules rest on this figure: keep it in step with the report."""
    from pathlib import Path

    report = Path(matching.__file__).resolve().parents[2] / "docs" / "faces-accuracy.md"
    row = next(
        line for line in report.read_text().splitlines() if line.startswith("| threshold in force")
    )
    threshold, fmr = (cell.strip() for cell in row.split("|")[2:4])
    assert float(threshold) == _record()["match_threshold"]
    assert float(fmr) == _record()["match_fmr"]


def test_the_false_match_risk_grows_with_every_identity_searched(engine_env):
    engine_env(SMILEPAY_MATCH_FMR=None)
    fmr = _record()["match_fmr"]
    assert matching.false_match_risk(identities=0) == 0.0
    assert matching.false_match_risk(identities=1) == pytest.approx(fmr)
    assert matching.false_match_risk(identities=1000) == pytest.approx(1 - (1 - fmr) ** 1000)
    risks = [matching.false_match_risk(identities=n) for n in (10, 100, 10_000, 1_000_000)]
    assert risks == sorted(risks) and risks[-1] == pytest.approx(1.0)


def test_the_widest_search_within_a_risk_is_the_last_one_below_it(engine_env):
    engine_env(SMILEPAY_MATCH_FMR=None)
    for risk in (0.001, 0.01, 0.1):
        widest = matching.max_identities_for_risk(risk)
        assert matching.false_match_risk(identities=widest) <= risk
        assert matching.false_match_risk(identities=widest + 1) > risk
    assert matching.max_identities_for_risk(0.01) == 279  # dlib's calibrated FMR, 3.59e-5


@pytest.mark.parametrize("raw", ["0", "1", "-1e-4", "lots"])
def test_a_false_match_rate_outside_zero_to_one_is_a_configuration_error(engine_env, raw):
    from smilepay.env import ConfigError

    with pytest.raises(ConfigError):
        engine_env(SMILEPAY_MATCH_FMR=raw)


def test_an_operator_who_recalibrates_sets_the_false_match_rate_too(engine_env):
    engine_env(SMILEPAY_MATCH_FMR="1e-6")
    assert matching.false_match_risk(identities=1000) == pytest.approx(1e-3, rel=1e-3)
