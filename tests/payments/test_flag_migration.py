"""Reports of "this wasn't me" made before they were kept per customer are moved over to
the customer who made them, read from the audit trail."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.payments.test_audit_migration import migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("payments", "0009_merchant_models_moved_to_merchants")]
AFTER = [("payments", "0010_recognition_attempt_flagged_by")]


def test_an_earlier_report_stays_the_reporting_customers_and_only_theirs():
    from django.utils import timezone

    from accounts.audit import audit
    from payments import services
    from payments.models import RecognitionAttempt
    from tests.payments import factories as f

    matched, look_alike = f.customer(), f.customer()
    attempt = services.recognition_attempt_record(
        payment_id=None,
        kiosk_id=f.kiosk(f.merchant()).pk,
        outcome="matched",
        customer_id=matched.pk,
        near_customer_ids=[look_alike.pk],
    )
    try:
        old = migrate(BEFORE)
        old.get_model("payments", "RecognitionAttempt").objects.filter(pk=attempt.pk).update(
            flagged_by_customer_at=timezone.now()
        )
        audit(
            "recognition.flagged_by_customer",
            data={"attempt_id": attempt.pk, "customer_id": look_alike.pk},
        )
        migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    reported = RecognitionAttempt.objects.get(pk=attempt.pk).flagged_by.values_list("pk", flat=True)
    assert list(reported) == [look_alike.pk]
