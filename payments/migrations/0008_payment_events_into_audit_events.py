"""One audit trail: a payment's events (and the payment app's other events) move from
payments.PaymentEvent into accounts.AuditEvent, keeping their names, data and times; a
payment's trail is then its audit events with that payment_id."""

from django.db import migrations

# What the payments app recorded without a payment, for the way back.
PAYMENT_APP_PREFIXES = (
    "payment.",
    "recognition.",
    "wallet.",
    "kiosk.",
    "merchant.",
    "api_key.",
    "webhook_endpoint.",
)


def forwards(apps, schema_editor):
    PaymentEvent = apps.get_model("payments", "PaymentEvent")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    rows = PaymentEvent.objects.order_by("id").iterator(chunk_size=2000)
    batch = []
    for row in rows:
        batch.append(
            AuditEvent(
                payment_id=row.payment_id, name=row.name, data=row.data, created_at=row.created_at
            )
        )
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    PaymentEvent = apps.get_model("payments", "PaymentEvent")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    Payment = apps.get_model("payments", "Payment")
    ours = AuditEvent.objects.filter(user__isnull=True).order_by("created_at", "id")
    existing = set(Payment.objects.values_list("pk", flat=True))
    for row in ours.iterator(chunk_size=2000):
        if row.payment_id is None and not row.name.startswith(PAYMENT_APP_PREFIXES):
            continue
        PaymentEvent.objects.create(
            payment_id=row.payment_id if row.payment_id in existing else None,
            name=row.name,
            data=row.data,
            created_at=row.created_at,
        )
        row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_recognition_attempt_pad_score"),
        ("accounts", "0005_auditevent_payment_id"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="PaymentEvent"),
    ]
