"""Personas and real face photos for the accounts tests.

Personas: Ada (a fresh customer, phone verified, no consent yet), Barack (Ada's
neighbour in the tests who enrolls with the Obama portraits) and Joe (enrolls with the
Biden portraits). Photos come from the MIT-licensed face_recognition examples in
../shared/faces (SMILEPAY_FACES_DIR); tests that need them skip when absent.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.models import FaceProfile, User

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def on_commit_runs_as_in_production(monkeypatch):
    """Run transaction.on_commit callbacks when the code's own outermost atomic block
    commits, as in production, although the test itself runs inside a transaction.

    A callback registered outside any atomic block of the code runs at once; a block
    that rolls back drops its callbacks (Django's savepoint handling does that)."""
    from django.db import transaction
    from django.db.backends.base.base import BaseDatabaseWrapper

    def only_test_blocks(connection) -> bool:
        return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)

    def run_pending(connection) -> None:
        while connection.run_on_commit:
            _, func, robust = connection.run_on_commit.pop(0)
            if robust:
                with contextlib.suppress(Exception):  # robust callbacks never propagate
                    func()
            else:
                func()

    original_on_commit = BaseDatabaseWrapper.on_commit
    original_exit = transaction.Atomic.__exit__

    def on_commit(self, func, robust=False):
        if self.in_atomic_block and only_test_blocks(self):
            return func()
        return original_on_commit(self, func, robust=robust)

    def exit_(self, exc_type, exc_value, traceback):
        result = original_exit(self, exc_type, exc_value, traceback)
        connection = transaction.get_connection(self.using)
        if exc_type is None and connection.in_atomic_block and only_test_blocks(connection):
            run_pending(connection)
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_)


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.SMS_BACKEND = "accounts.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    from django.core.cache import cache

    cache.clear()


def last_sms_code(tmp_path: Path) -> str:
    line = (tmp_path / "sms.log").read_text().splitlines()[-1]
    return line.split("code is ")[1][:6]


def make_customer(
    email: str, phone: str, *, name: str = "", verified: bool = True, consent: bool = False
) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=name, phone_e164=phone)
    FaceProfile.objects.create(user=user)
    if verified:
        user.phone_verified_at = timezone.now()
        user.save(update_fields=["phone_verified_at"])
    if consent:
        services.consent_grant(
            user_id=user.pk, version=settings.BIOMETRIC_CONSENT_VERSION, ip="203.0.113.7"
        )
    return user


@pytest.fixture
def ada(db) -> User:
    return make_customer("ada@example.com", "+12025550147", name="Ada Lovelace")


@pytest.fixture
def barack(db) -> User:
    return make_customer("barack@example.com", "+12025550100", name="Barack O.", consent=True)


@pytest.fixture
def joe(db) -> User:
    return make_customer("joe@example.com", "+12025550199", name="Joe B.", consent=True)


# --- photos ---------------------------------------------------------------------------

EXAMPLES = Path(settings.FACES_DIR) / "face_recognition_examples" / "examples"


def photo(relative: str, *, width: int | None = None) -> bytes:
    path = EXAMPLES / relative
    if not path.exists():
        pytest.skip(f"face photo {path} is missing (SMILEPAY_FACES_DIR)")
    if width is None:
        return path.read_bytes()
    with Image.open(path) as img:
        img = img.convert("RGB")
        img.thumbnail((width, width * 2))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=92)
        return out.getvalue()


# Several different photographs of the same people, sized like webcam frames.
OBAMA = ["obama.jpg", "obama2.jpg", "obama-480p.jpg", "knn_examples/test/obama1.jpg"]
BIDEN = ["biden.jpg", "knn_examples/train/biden/biden2.jpg"]


@pytest.fixture(scope="session")
def obama_photos() -> list[bytes]:
    return [photo(name, width=640) for name in OBAMA]


@pytest.fixture(scope="session")
def biden_photos() -> list[bytes]:
    return [photo(name, width=640) for name in BIDEN]


def enroll(user: User, photos: list[bytes], *, self_check: bytes | None = None) -> None:
    """Enroll through the services with real photos (captures, then the self-check)."""
    from accounts import enrollment

    needed = settings.FACE_ENROLL_CAPTURES
    for i in range(needed):
        enrollment.enrollment_capture(user_id=user.pk, image=photos[i % len(photos)])
    result = enrollment.enrollment_self_check(
        user_id=user.pk, image=self_check or photos[needed % len(photos)]
    )
    assert result.matched, result
