#!/usr/bin/env bash
# Calibrates the encoder configurations SmilePay measures and writes their records into
# smilepay/faces/calibrations.json: dlib alone (the default) and dlib + the test-only
# MobileFaceNet (tests and benchmarks only; docs/models.md). Same cache as
# benchmarks/accuracy_report.sh; run this first, then that.
#
#   bash benchmarks/calibrate_encoders.sh
set -euo pipefail
cd "$(dirname "$0")/.."
faces="${SMILEPAY_FACES_DIR:-../shared/faces}"
mfn="$(.venv/bin/python -m smilepay.faces.lab.test_models)"
record=smilepay/faces/calibrations.json
SMILEPAY_FACE_ENCODERS=dlib .venv/bin/python -m smilepay.faces calibrate "$faces/lfw-dev" \
  --pairs "$faces/lfw-dev/pairs-dev.txt" --record "$record"
SMILEPAY_FACE_ENCODERS="dlib,mobilefacenet:$mfn" .venv/bin/python -m smilepay.faces calibrate \
  "$faces/lfw-dev" --pairs "$faces/lfw-dev/pairs-dev.txt" --record "$record"
