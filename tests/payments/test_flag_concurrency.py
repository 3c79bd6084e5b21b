""" "This wasn't me" tapped on two phones at once (or twice on one): one report, one audit
event, one pause; the lock on the attempt is what makes it so."""

import pytest

from accounts.models import AuditEvent
from payments import services
from payments.models import RecognitionAttempt
from payments.recognition_attempts import recognition_attempt_flag
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 6
REPORTS = RecognitionAttempt.flagged_by.through


def race_reports() -> tuple[list, list]:
    casey = f.customer()
    attempt = services.recognition_attempt_record(
        payment_id=None, kiosk_id=f.kiosk(f.merchant()).pk, outcome="matched", customer_id=casey.pk
    )

    def report(_: int) -> int:
        return recognition_attempt_flag(attempt_id=attempt.pk, customer_id=casey.pk).pk

    _, errors = run_concurrently(N, report, hold_before_writing=REPORTS)
    return errors, list(AuditEvent.objects.filter(name="recognition.flagged_by_customer"))


def test_reports_at_the_same_moment_make_one_report(on_postgres):
    errors, events = race_reports()
    assert errors == []
    assert len(events) == 1
    assert REPORTS.objects.count() == 1


def test_without_the_attempt_lock_the_same_report_is_made_again(on_postgres, monkeypatch):
    without_row_locks(monkeypatch, RecognitionAttempt)
    errors, events = race_reports()
    assert errors or len(events) > 1
