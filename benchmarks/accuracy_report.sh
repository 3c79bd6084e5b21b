#!/usr/bin/env bash
# Regenerates docs/faces-accuracy.md and docs/faces-roc.png: the default configuration
# (dlib alone) and, in its own section, dlib fused with the test-only MobileFaceNet.
#
#   bash benchmarks/accuracy_report.sh
#
# The first run encodes every lfw-dev photo (dlib, MobileFaceNet and the plain
# face_recognition baseline; about 15-20 minutes on a quiet core) into .cache/faces/;
# later runs take seconds. Calibrated records come from smilepay/faces/calibrations.json
# (benchmarks/calibrate_encoders.sh writes them).
set -euo pipefail
cd "$(dirname "$0")/.."
faces="${SMILEPAY_FACES_DIR:-../shared/faces}"
mfn="$(.venv/bin/python -m smilepay.faces.lab.test_models)"
.venv/bin/python -m smilepay.faces evaluate "$faces/lfw-dev" --half heldout \
  --pairs "$faces/lfw-dev/pairs-dev.txt" --baseline \
  --write docs/faces-accuracy.md --plot docs/faces-roc.png \
  --fused "dlib,mobilefacenet:$mfn"
