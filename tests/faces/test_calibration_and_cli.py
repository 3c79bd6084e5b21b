"""Calibration maths, the command line, and the engine's independence from Django."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from smilepay.faces.__main__ import main
from smilepay.faces.config import ConfigError
from smilepay.faces.lab import calibrate as cal
from smilepay.faces.lab.split import half_of, in_half

REPO = Path(__file__).resolve().parents[2]


def test_threshold_at_fmr_lets_through_at_most_the_target_share_of_impostors():
    rng = np.random.default_rng(0)
    impostor = rng.uniform(0.3, 1.0, 100_000)
    for target in (1e-2, 1e-3, 1e-4):
        t = cal.threshold_at_fmr(impostor, target)
        assert (impostor <= t).mean() <= target
        assert (impostor <= np.nextafter(t, 2) + 1e-3).mean() > target * 0.5


def test_rates_count_matches_at_or_below_the_threshold():
    fmr, fnmr = cal.rates(np.array([0.1, 0.2, 0.5]), np.array([0.3, 0.6, 0.7, 0.9]), 0.3)
    assert fmr == 0.25 and fnmr == pytest.approx(1 / 3)


def test_the_wilson_interval_brackets_the_rate_and_stays_open_after_zero_passes():
    low, high = cal.wilson_interval(0, 186)
    assert low == 0.0 and high == pytest.approx(0.0202, abs=1e-4)
    low, high = cal.wilson_interval(91, 111)
    assert low < 91 / 111 < high and (low, high) == pytest.approx((0.738, 0.880), abs=1e-3)
    assert cal.wilson_interval(5, 5)[1] == 1.0
    assert cal.wilson_interval(0, 0) == (0.0, 1.0)


def test_ten_fold_accuracy_is_perfect_on_separable_pairs():
    dist = np.concatenate([np.linspace(0.1, 0.3, 50), np.linspace(0.5, 0.9, 50)])
    same = np.arange(100) < 50
    assert cal.ten_fold_accuracy(dist, same)["accuracy"] == 1.0


def test_the_identity_split_is_fixed_and_roughly_even():
    names = [f"person_{i}" for i in range(2000)]
    halves = [half_of(n) for n in names]
    assert halves == [half_of(n) for n in names]
    assert 0.45 < halves.count("tune") / len(names) < 0.55


def test_every_tool_uses_the_crc32_split_the_smile_model_was_trained_with():
    # The smile model's test set holds every crop of a held-out person by this rule; a
    # second rule would let one tool tune on another's evaluation half.
    assert half_of("Abdullah_Gul") == "tune" and half_of("Aaron_Peirsol") == "heldout"
    assert in_half("Aaron_Peirsol", "heldout") and in_half("Abdullah_Gul", "tuning")
    with pytest.raises(ValueError):
        in_half("Abdullah_Gul", "test")


def test_verify_prints_json_and_matches_the_same_person(examples, capsys):
    code = main(["verify", str(examples / "obama-480p.jpg"), str(examples / "obama-720p.jpg")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["match"] is True and out["distance"] < out["threshold"]


def test_verify_tells_different_people_apart(examples, capsys):
    code = main(["verify", str(examples / "obama.jpg"), str(examples / "biden.jpg")])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["match"] is False


def test_verify_reports_a_bad_image_as_json(tmp_path, examples, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    assert main(["verify", str(bad), str(examples / "obama.jpg")]) == 2
    assert "not a supported image" in json.loads(capsys.readouterr().out)["error"]


def _modules_after(statement: str) -> set[str]:
    """Every module a fresh interpreter has loaded after running ``statement``."""
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=REPO, env=env, capture_output=True
    )
    return set(json.loads(out.stdout))


def test_importing_the_engine_loads_neither_django_nor_celery_nor_the_research_tools():
    loaded = _modules_after("import smilepay.faces")
    assert "smilepay.faces" in loaded
    assert not {m.split(".")[0] for m in loaded} & {"django", "rest_framework", "celery"}
    assert not {m for m in loaded if m.startswith("smilepay.faces.lab")}


def test_the_research_tools_import_nothing_from_django():
    loaded = _modules_after(
        "import smilepay.faces.__main__, smilepay.faces.lab.cli, smilepay.faces.lab.train_smile"
    )
    assert not {m.split(".")[0] for m in loaded} & {"django", "rest_framework", "celery"}


@pytest.mark.slow
def test_calibrate_prints_rates_and_writes_a_roc_png(examples, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMILEPAY_FACES_CACHE", str(tmp_path / "cache"))
    folder = examples / "knn_examples" / "train"  # 5 people, 1-2 photos each
    png = tmp_path / "roc.png"
    assert main(["calibrate", str(folder), "--half", "all", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    pairs = out["all_pairs"]
    assert pairs["genuine_comparisons"] == 4 and pairs["impostor_comparisons"] == 32
    at = {row["threshold"]: row for row in pairs["at_threshold"]}[out["threshold_in_force"]]
    assert at["fmr"] == 0.0 and at["fnmr"] == 0.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _identities(rng, people: int, images: int, dim: int, noise: float) -> np.ndarray:
    centres = rng.normal(size=(people, 1, dim))
    x = (centres + noise * rng.normal(size=(people, images, dim))).reshape(-1, dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_fusion_weights_the_second_encoder_where_it_misses_least():
    from smilepay.faces.lab import fusion

    people, images = 60, 6
    names = [f"p{i}" for i in range(people) for _ in range(images)]
    blurry = _identities(np.random.default_rng(4), people, images, 128, noise=2.5)
    sharp = _identities(np.random.default_rng(5), people, images, 192, noise=1.2)
    share, table = fusion.choose_share([blurry, sharp], names, np.arange(len(names)))
    assert len(table) == 20  # shares 0 .. 0.95: dlib always keeps a part
    row = {r["share"]: r for r in table}
    assert row[share]["fnmr_1e-4"] == min(r["fnmr_1e-4"] for r in table)
    assert row[share]["fnmr_1e-4"] < row[0.0]["fnmr_1e-4"] and 0.3 < share < 1


@pytest.mark.slow
def test_calibrate_writes_a_record_the_engine_then_starts_with(
    faces_dir, tmp_path, monkeypatch, capsys, engine_env
):
    from smilepay.faces import config
    from smilepay.faces.lab.split import half_of

    # A small LFW-style folder: four people of each half with 5+ photos, 5 photos each.
    folder = tmp_path / "faces"
    lfw = faces_dir / "lfw-dev"
    for half in ("tune", "heldout"):
        folders = [d for d in sorted(lfw.iterdir()) if d.is_dir() and half_of(d.name) == half]
        people = [d for d in folders if len(list(d.iterdir())) >= 5][:4]
        for person in people:
            (folder / person.name).mkdir(parents=True)
            for photo in sorted(person.iterdir())[:5]:
                (folder / person.name / photo.name).symlink_to(photo)
    monkeypatch.setenv("SMILEPAY_FACES_CACHE", str(tmp_path / "cache"))
    record = tmp_path / "calibrations.json"
    assert main(["calibrate", str(folder), "--record", str(record)]) == 0
    printed_doc = capsys.readouterr().out
    printed = json.loads(printed_doc)["calibrated"]
    stored = json.loads(record.read_text())["configurations"]["dlib"]
    assert stored == printed and stored["weights"] == [1.0]
    assert 0 < stored["match_threshold"] < 2 and stored["match_margin"] >= 0
    # A fresh record has no look-alike factor (measured on bursts): refused until given one.
    assert "lookalike_check.py" in json.loads(printed_doc)["next_step"]
    with pytest.raises(ConfigError, match="no look-alike factor"):
        engine_env(SMILEPAY_FACE_CALIBRATIONS=str(record))
    loaded = engine_env(SMILEPAY_FACE_CALIBRATIONS=str(record), SMILEPAY_SMILE_MATCH_FACTOR="1.2")
    assert loaded.match_threshold == stored["match_threshold"]
    assert config.current().record["calibrated_with"]["split"].startswith("crc32")
    # The look-alike factor is measured on bursts, not by calibrate: recalibrating keeps it.
    data = json.loads(record.read_text())
    data["configurations"]["dlib"]["smile_match_factor"] = 1.1
    data["configurations"]["dlib"]["same_person_max_distance"] = 0.41
    record.write_text(json.dumps(data))
    assert main(["calibrate", str(folder), "--record", str(record)]) == 0
    kept = json.loads(record.read_text())["configurations"]["dlib"]
    assert (kept["smile_match_factor"], kept["same_person_max_distance"]) == (1.1, 0.41)
    kept_factor = engine_env(
        SMILEPAY_FACE_CALIBRATIONS=str(record), SMILEPAY_SMILE_MATCH_FACTOR=None
    )
    assert kept_factor.smile_match_factor == 1.1
