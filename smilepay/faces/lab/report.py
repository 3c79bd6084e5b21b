"""The accuracy report: ``python -m smilepay.faces evaluate DIR --half heldout --write ...``.

Protocol (docs/faces-accuracy.md repeats it next to the figures):
* identities are split by ``split.half_of`` (the rule every research tool uses); the
  threshold is derived on 'tune' only;
* enrolment test: people with >= 4 images enroll 3, probe with the rest; people with
  fewer images are unknown customers; every probe is compared with every enrolled
  identity's template (normalised mean of its 3 encodings, as ``Gallery`` does);
* FNMR@FMR=1e-4 is also given with the threshold re-derived on the reported half, which
  shows the separation itself, independent of threshold transfer;
* 1:1 verification (online checkout): each probe against one claimed identity's template
  only (``matching.verify_distance``); genuine = the probe's own identity, impostor =
  every other enrolled identity claimed by the probe (a zero-effort impostor: enrolled
  people and unknown people alike). ``verify_threshold()`` is derived on 'tune' at
  FMR <= 1e-4 per comparison, as ``match_threshold()`` is.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..config import current
from ..matching import match_margin, match_threshold, verify_distance, verify_threshold
from . import calibrate as cal
from .dataset import Dataset, plain_encodings
from .fused_report import fused_section
from .fused_report import markdown as fused_markdown

TARGET = 1e-4
# payments' PAYMENT_MAX_MATCH_ATTEMPTS default: tries an online payment request allows.
ONLINE_ATTEMPTS = 5


def _fnmr_at(test: dict, target: float = TARGET) -> dict:
    t = cal.threshold_at_fmr(test["impostor"], target)
    fmr, fnmr = cal.rates(test["genuine"], test["impostor"], t)
    return {"threshold": round(t, 5), "fmr": fmr, "fnmr": fnmr}


def _at(test: dict, t: float) -> dict:
    fmr, fnmr = cal.rates(test["genuine"], test["impostor"], t)
    return {"threshold": round(t, 4), "fmr": fmr, "fnmr": fnmr}


def _runtime_check(enc: np.ndarray, names: list[str], idx: np.ndarray, test: dict) -> float:
    """Largest difference between the calibrated statistic and ``verify_distance`` (the
    function online checkout calls) on the first probes: they must be the same number."""
    enrolled, probes = cal.enrollment_split(names, idx)
    ids = sorted(enrolled)
    worst = 0.0
    for row, k in enumerate(probes[:20]):
        for col in range(0, len(ids), max(1, len(ids) // 10)):
            d = verify_distance(enc[k], enc[enrolled[ids[col]]])
            worst = max(worst, abs(d - float(test["matrix"][row, col])))
    return worst


def verification(enc: np.ndarray, names: list[str], tune: np.ndarray, rep: np.ndarray) -> dict:
    """The ``verify`` section: the 1:1 threshold, its FMR/FNMR on both halves."""
    in_force = verify_threshold()
    out: dict = {
        "statistic": "distance between the probe and the claimed customer's template "
        "(L2-normalised mean of 3 enrolment encodings), one comparison per attempt",
        "threshold_in_force": in_force,
        "target_fmr": TARGET,
        "online_attempts": ONLINE_ATTEMPTS,
    }
    for label, idx in (("tune_half", tune), ("report_half", rep)):
        test = cal.enrollment_test(enc, names, idx)
        at = _at(test, in_force)
        part = {
            "identities_enrolled": test["identities"],
            "probes": test["probes"],
            "genuine_comparisons": len(test["genuine"]),
            "impostor_comparisons": len(test["impostor"]),
            "at_threshold_in_force": at,
            # A zero-effort impostor retrying every allowed attempt on one request.
            "request_fmr_upper_bound": 1 - (1 - at["fmr"]) ** ONLINE_ATTEMPTS,
            "fnmr_at_fmr_1e-4_rederived": _fnmr_at(test),
            "fnmr_at_fmr_1e-3_rederived": _fnmr_at(test, 1e-3),
            "runtime_check_max_abs_diff": _runtime_check(enc, names, idx, test),
        }
        if label == "report_half":
            part["at_tuned_threshold"] = _at(test, out["tune_half"]["derived"]["threshold"])
            # The statistic online checkout used before: min over the 3 enrolled images.
            mins = cal.enrollment_test(enc, names, idx, combine="min")
            part["min_over_images_at_threshold_in_force"] = _at(mins, in_force)
        else:
            part["derived"] = _fnmr_at(test)
        out[label] = part
    return out


def _baseline_encodings(ds: Dataset, idx: np.ndarray) -> np.ndarray:
    base = plain_encodings(ds, idx.tolist())
    out = np.zeros((len(ds.paths), 128), np.float32)
    for k, v in base.items():
        out[k] = v
    return out


def evaluate(
    root: Path,
    *,
    half: str = "heldout",
    pairs: Path | None = None,
    baseline: bool = False,
    write: Path | None = None,
    plot: Path | None = None,
    fused: str | None = None,
) -> dict:
    t0 = time.perf_counter()
    ds = Dataset.load(root)
    enc = cal.engine_encodings(ds)
    tune = cal.select(ds, "tune")
    rep = cal.select(ds, half)
    in_force = match_threshold()
    margin = match_margin()

    tune_test = cal.enrollment_test(enc, ds.names, tune)
    tuned = _fnmr_at(tune_test)
    doc: dict = {
        "dir": str(root),
        "half": half,
        "threshold_in_force": in_force,
        "margin_in_force": margin,
        "tune_half": {
            "identities_enrolled": tune_test["identities"],
            "probes": tune_test["probes"],
            "threshold_at_fmr_1e-4": tuned,
        },
    }
    # Ablation on the tuning half: how the encoding choices move FNMR@FMR=1e-4.
    ablation = {}
    for flip in (False, True):
        for norm in (False, True):
            e = cal.engine_encodings(ds, flip=flip, normalize=norm)
            for combine in ("min", "mean", "avg"):
                key = f"flip={flip} normalize={norm} combine={combine}"
                ablation[key] = _fnmr_at(cal.enrollment_test(e, ds.names, tune, combine=combine))
    doc["tune_half"]["ablation_fnmr_at_fmr_1e-4"] = ablation

    test = cal.enrollment_test(enc, ds.names, rep)
    doc["report_half"] = {
        "identities_enrolled": test["identities"],
        "probes": test["probes"],
        "genuine_comparisons": len(test["genuine"]),
        "impostor_comparisons": len(test["impostor"]),
        "at_threshold_in_force": _at(test, in_force),
        "at_tuned_threshold": _at(test, tuned["threshold"]),
        "fnmr_at_fmr_1e-4_rederived": _fnmr_at(test),
        "fnmr_at_fmr_1e-3_rederived": _fnmr_at(test, 1e-3),
        "open_set_with_margin": cal.open_set(test, in_force, margin),
        "open_set_without_margin": cal.open_set(test, in_force, 0.0),
    }
    for combine in ("min", "avg"):
        other = cal.enrollment_test(enc, ds.names, rep, combine=combine)
        doc["report_half"][f"fnmr_at_fmr_1e-4_combine_{combine}"] = _fnmr_at(other)
    gen, imp = cal.pairwise(enc, ds.names, rep)
    doc["report_half"]["all_pairs"] = {
        "genuine_comparisons": len(gen),
        "impostor_comparisons": len(imp),
        "at_threshold_in_force": dict(
            zip(("fmr", "fnmr"), cal.rates(gen, imp, in_force), strict=True)
        ),
        "fnmr_at_fmr_1e-4_rederived": dict(
            zip(
                ("fmr", "fnmr"),
                cal.rates(gen, imp, cal.threshold_at_fmr(imp, TARGET)),
                strict=True,
            )
        ),
    }
    doc["verify"] = verification(enc, ds.names, tune, rep)
    curves = {f"engine, 3-image enrolment ({half})": cal.roc(test["genuine"], test["impostor"])[1:]}
    if baseline:
        benc = _baseline_encodings(ds, rep)
        # The plain library's usual recipe: mean of the raw enrolment encodings.
        btest = cal.enrollment_test(benc, ds.names, rep, combine="mean")
        doc["report_half"]["baseline_plain_mean_template_fnmr_at_fmr_1e-4"] = _fnmr_at(btest)
        btest_min = cal.enrollment_test(benc, ds.names, rep, combine="min")
        doc["report_half"]["baseline_plain_min_fnmr_at_fmr_1e-4"] = _fnmr_at(btest_min)
        curves[f"plain face_recognition, mean template ({half})"] = cal.roc(
            btest["genuine"], btest["impostor"]
        )[1:]
    if pairs:
        a, b, same = cal.read_pairs(ds, pairs)
        doc["pairs_10_fold"] = cal.ten_fold_accuracy(cal.pair_distances(enc, a, b), same)
        if baseline:
            needed = np.unique(np.concatenate([a, b]))
            benc = _baseline_encodings(ds, needed)
            doc["pairs_10_fold_plain_face_recognition"] = cal.ten_fold_accuracy(
                cal.pair_distances(benc, a, b), same
            )
    doc["detected_fraction"] = float(cal.engine_descriptors(ds)["detected"].mean())
    if plot:
        from .plot import roc_png

        at = doc["report_half"]["at_threshold_in_force"]
        roc_png(
            curves,
            plot,
            title=f"3-image enrolment, LFW-dev {half} half (identities never tuned on)",
            marks={f"threshold {in_force:.3f}": (max(at["fmr"], 1e-5), at["fnmr"])},
        )
        doc["plot"] = str(plot)
    doc["detector"] = current().detector
    doc["encoders"] = current().fingerprint
    if fused:
        doc["fused"] = fused_section(ds, fused, detector=doc["detector"], pairs=pairs)
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    if write:
        write.write_text(markdown(doc))
        doc["written"] = str(write)
    return doc


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _verify_markdown(doc: dict) -> list[str]:
    v = doc["verify"]
    t, r = v["tune_half"], v["report_half"]

    def row(label: str, d: dict) -> str:
        return f"| {label} | {d['threshold']} | {d['fmr']:.2e} | {_pct(d['fnmr'])} |"

    return [
        "",
        "## 1:1 verification (online checkout)",
        "The phone's probe is compared only with the signed-in customer's own template "
        "(`verify_distance`: the L2-normalised mean of their 3 enrolment encodings, as "
        "`Gallery` keeps it); no search, no margin. Same enrolment split as above; genuine "
        "= a probe against its own identity, impostor = a probe against every other "
        "enrolled identity (a zero-effort impostor claiming that customer). These are the "
        "same comparisons as the 1:N rows, so the same FMR target gives the same value: "
        "what differs is that a 1:1 attempt makes one comparison, while a 1:N probe meets "
        "the whole gallery (there the margin rule and the gallery size matter).",
        "",
        f"- Threshold in force (`verify_threshold()`, env `SMILEPAY_VERIFY_THRESHOLD`): "
        f"**{v['threshold_in_force']}**.",
        f"- Derived on the tune half at FMR <= 1e-4 per comparison: "
        f"{t['derived']['threshold']} ({t['identities_enrolled']} enrolled identities, "
        f"{t['genuine_comparisons']} genuine and {t['impostor_comparisons']} impostor "
        "comparisons).",
        f"- Runtime check: `verify_distance` reproduces the calibrated statistic to "
        f"{max(t['runtime_check_max_abs_diff'], r['runtime_check_max_abs_diff']):.1e}.",
        "",
        "| half | measure | threshold | FMR | FNMR |",
        "|---|---|---|---|---|",
        row("tune | threshold in force", t["at_threshold_in_force"]),
        row(f"{doc['half']} | threshold in force", r["at_threshold_in_force"]),
        row(f"{doc['half']} | threshold derived on tune half", r["at_tuned_threshold"]),
        row(f"{doc['half']} | FNMR @ FMR<=1e-4 (re-derived here)", r["fnmr_at_fmr_1e-4_rederived"]),
        row(f"{doc['half']} | FNMR @ FMR<=1e-3 (re-derived here)", r["fnmr_at_fmr_1e-3_rederived"]),
        row(
            f"{doc['half']} | min over the 3 images instead of the template, threshold in force",
            r["min_over_images_at_threshold_in_force"],
        ),
        "",
        f"Per payment request, a zero-effort impostor who uses all {v['online_attempts']} "
        f"tries succeeds with probability at most {r['request_fmr_upper_bound']:.1e} on the "
        f"{doc['half']} half (1 - (1 - FMR)^{v['online_attempts']}).",
    ]


def _intervals(r: dict) -> str:
    """How far the headline rates may be off: 95% Wilson intervals from their counts."""
    n_gen, n_imp = r["genuine_comparisons"], r["impostor_comparisons"]

    def span(rate: float, n: int, fmt) -> str:
        count = round(rate * n)
        low, high = cal.wilson_interval(count, n)
        return f"{fmt(low)} to {fmt(high)} ({count} of {n})"

    at, re4 = r["at_threshold_in_force"], r["fnmr_at_fmr_1e-4_rederived"]
    return (
        "95% Wilson intervals at the threshold in force: FMR "
        f"{span(at['fmr'], n_imp, lambda x: f'{x:.2e}')}, FNMR {span(at['fnmr'], n_gen, _pct)}; "
        f"FNMR @ FMR<=1e-4 {span(re4['fnmr'], n_gen, _pct)}. Genuine comparisons of one "
        "person share their enrolment, so the true spread is somewhat wider."
    )


def markdown(doc: dict) -> str:
    r = doc["report_half"]
    t = doc["tune_half"]
    lines = [
        "# Face engine accuracy",
        "",
        "Generated by `python -m smilepay.faces evaluate ../shared/faces/lfw-dev --half heldout "
        "--pairs ../shared/faces/lfw-dev/pairs-dev.txt --baseline "
        "--write docs/faces-accuracy.md --plot docs/faces-roc.png "
        '--fused "dlib,mobilefacenet:$(python -m smilepay.faces.lab.test_models)"` '
        "(`benchmarks/accuracy_report.sh` runs it). Do not edit by hand.",
        "",
        "## Protocol",
        "- Data: LFW-dev (deep-funneled 250x250), identities split in two halves by "
        "`crc32(name) % 2` (`smilepay/faces/lab/split.py:half_of`), the split every "
        "research tool uses (the smile model, the liveness thresholds, the detector's box "
        "mapping and the encoders' fusion were tuned on the same tune half). Thresholds "
        "were tuned on the **tune** half only; the figures below are on the "
        f"**{doc['half']}** half.",
        "- Enrolment test: each person with at least 4 images enrolls their first 3; their "
        "other images are genuine probes. People with 2-3 images are unknown customers "
        "(impostor probes only). Every probe is compared with every enrolled identity's "
        "template: the L2-normalised mean of its 3 encodings (what `Gallery` does). "
        "FMR and FNMR are **per comparison**.",
        f"- Detector: {doc['detector']} (`SMILEPAY_FACE_DETECTOR`); encoders: "
        f"`{doc['encoders']}`. Encoding: dlib ResNet on the 5-point aligned chip, averaged "
        "with its mirror image, L2-normalised; distance = Euclidean.",
        f"- Faces found by the detector on {_pct(doc['detected_fraction'])} of the images; "
        "the rest use the median box (LFW crops are centred).",
        "",
        "## Threshold",
        f"- Threshold in force (`match_threshold()`): **{doc['threshold_in_force']}**, margin "
        f"(`match_margin()`): **{doc['margin_in_force']}**.",
        f"- Derived on the tune half at FMR <= 1e-4: {t['threshold_at_fmr_1e-4']['threshold']} "
        f"(FNMR there {_pct(t['threshold_at_fmr_1e-4']['fnmr'])}; "
        f"{t['identities_enrolled']} enrolled identities, {t['probes']} probes).",
        "",
        f"## Results on the {doc['half']} half (never tuned on)",
        f"{r['identities_enrolled']} enrolled identities, {r['probes']} probes, "
        f"{r['genuine_comparisons']} genuine and {r['impostor_comparisons']} impostor "
        "comparisons.",
        "",
        "| measure | threshold | FMR | FNMR |",
        "|---|---|---|---|",
    ]

    def row(label: str, d: dict) -> str:
        return f"| {label} | {d['threshold']} | {d['fmr']:.2e} | {_pct(d['fnmr'])} |"

    lines += [
        row("threshold in force", r["at_threshold_in_force"]),
        row("threshold derived on tune half", r["at_tuned_threshold"]),
        row("FNMR @ FMR<=1e-4 (threshold re-derived here)", r["fnmr_at_fmr_1e-4_rederived"]),
        row("FNMR @ FMR<=1e-3 (threshold re-derived here)", r["fnmr_at_fmr_1e-3_rederived"]),
        row(
            "same, min over the 3 encodings instead of a template",
            r["fnmr_at_fmr_1e-4_combine_min"],
        ),
        row(
            "same, mean of the 3 distances instead of a template", r["fnmr_at_fmr_1e-4_combine_avg"]
        ),
    ]
    if "baseline_plain_mean_template_fnmr_at_fmr_1e-4" in r:
        lines.append(
            row(
                "plain face_recognition, mean template, FNMR @ FMR<=1e-4",
                r["baseline_plain_mean_template_fnmr_at_fmr_1e-4"],
            )
        )
        lines.append(
            row(
                "plain face_recognition, min over templates, FNMR @ FMR<=1e-4",
                r["baseline_plain_min_fnmr_at_fmr_1e-4"],
            )
        )
    lines += ["", _intervals(r)]
    ap = r["all_pairs"]
    lines += [
        "",
        f"All image pairs of the half ({ap['genuine_comparisons']} genuine, "
        f"{ap['impostor_comparisons']} impostor), single image vs single image: at the "
        f"threshold in force FMR {ap['at_threshold_in_force']['fmr']:.2e}, FNMR "
        f"{_pct(ap['at_threshold_in_force']['fnmr'])}; FNMR @ FMR<=1e-4 "
        f"{_pct(ap['fnmr_at_fmr_1e-4_rederived']['fnmr'])}.",
        "",
        "### 1:N decision (threshold + margin), per probe",
        "| rule | genuine: right person | genuine: wrong person | genuine: refused | "
        "unknown customer accepted |",
        "|---|---|---|---|---|",
    ]
    for label, key in (
        ("threshold + margin", "open_set_with_margin"),
        ("threshold only", "open_set_without_margin"),
    ):
        o = r[key]
        lines.append(
            f"| {label} | {_pct(o['genuine_accepted_right'])} | {_pct(o['genuine_accepted_wrong'])}"
            f" | {_pct(o['genuine_refused'])} | {_pct(o['unknown_accepted'])} |"
        )
    if "verify" in doc:
        lines += _verify_markdown(doc)
    if "pairs_10_fold" in doc:
        p = doc["pairs_10_fold"]
        lines += [
            "",
            "## LFW 10-fold accuracy on pairs-dev.txt",
            f"- engine: **{_pct(p['accuracy'])}** (std {_pct(p['std'])})",
        ]
        if "pairs_10_fold_plain_face_recognition" in doc:
            b = doc["pairs_10_fold_plain_face_recognition"]
            lines.append(
                f"- plain face_recognition (face_locations + face_encodings): "
                f"{_pct(b['accuracy'])} (std {_pct(b['std'])})"
            )
        lines.append(
            "- pairs-dev mixes both halves; each fold's threshold is chosen on the other nine."
        )
    lines += [
        "",
        "## Ablation on the tune half (FNMR @ FMR<=1e-4)",
        "| encoding | FNMR | threshold |",
        "|---|---|---|",
    ]
    for key, d in t["ablation_fnmr_at_fmr_1e-4"].items():
        lines.append(f"| {key} | {_pct(d['fnmr'])} | {d['threshold']} |")
    fnmr4 = r["fnmr_at_fmr_1e-4_rederived"]["fnmr"]
    lines += [
        "",
        "## Targets (first bar)",
        f"- FNMR <= 3% at FMR <= 1e-4, 3-image enrolment, held-apart identities: measured "
        f"{_pct(fnmr4)} — **{'met' if fnmr4 <= 0.03 else 'not met'}**.",
    ]
    if "pairs_10_fold" in doc:
        acc = doc["pairs_10_fold"]["accuracy"]
        lines.append(
            f"- LFW 10-fold accuracy >= 99.2%: measured {_pct(acc)} — "
            f"**{'met' if acc >= 0.992 else 'not met'}**."
        )
    fmr_in_force = r["at_threshold_in_force"]["fmr"]
    lines.append(
        f"- Payment threshold with FMR <= 1e-3 per comparison: {fmr_in_force:.2e} on the "
        f"held-apart half — **{'met' if fmr_in_force <= 1e-3 else 'not met'}**."
    )
    if "verify" in doc:
        v = doc["verify"]["report_half"]["at_threshold_in_force"]
        lines.append(
            f"- 1:1 threshold calibrated for FMR <= 1e-4 per comparison: {v['fmr']:.2e} on the "
            f"held-apart half (FNMR {_pct(v['fnmr'])}) — "
            f"**{'met' if v['fmr'] <= TARGET else 'not met'}**; the 1e-4 tail rests on ~15 "
            "impostor comparisons per half, so the threshold transfers with that much noise."
        )
    if "fused" in doc:
        lines += fused_markdown(doc["fused"])
    if "plot" in doc:
        lines += ["", f"ROC: `{doc['plot']}`", ""]
    return "\n".join(lines) + "\n"
