"""One audit helper: `accounts.audit.audit` is the only code that writes audit events."""

import re
from pathlib import Path

from django.conf import settings

APPS = ("accounts", "payments", "kiosk", "smilepay")
WRITES = re.compile(
    r"AuditEvent\.objects\.(create|bulk_create|get_or_create)\(|(?<!class )AuditEvent\("
)


def test_nothing_but_the_audit_helper_writes_audit_events():
    root = Path(settings.BASE_DIR)
    writers = [
        str(path.relative_to(root))
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts and WRITES.search(path.read_text(encoding="utf-8"))
    ]
    assert writers == ["accounts/audit.py"]
