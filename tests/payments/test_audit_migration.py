"""Stored payment events stay readable after the move into the one audit table."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("payments", "0007_recognition_attempt_pad_score"),
    ("accounts", "0003_facetemplate_configuration"),
]
AFTER = [("payments", "0008_payment_events_into_audit_events")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_payments_stored_trail_moves_into_the_audit_table_with_its_names_data_and_times():
    from payments.selectors import payment_events
    from tests.payments import factories as f

    payment = f.kiosk_payment(f.merchant())
    when = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    try:
        old = migrate(BEFORE)
        PaymentEvent = old.get_model("payments", "PaymentEvent")
        stored = PaymentEvent.objects.create(
            payment_id=payment.pk, name="payment.matching", data={"attempt": 1}
        )
        PaymentEvent.objects.filter(pk=stored.pk).update(created_at=when)  # auto_now_add
        PaymentEvent.objects.create(payment_id=None, name="kiosk.revoked", data={"kiosk_id": 9})
        migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from accounts.models import AuditEvent

    [moved] = payment_events(payment_id=payment.pk).filter(name="payment.matching")
    assert (moved.data, moved.created_at) == ({"attempt": 1}, when)
    assert AuditEvent.objects.get(name="kiosk.revoked", payment_id=None).data == {"kiosk_id": 9}
