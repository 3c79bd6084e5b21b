""" "This wasn't me" becomes per customer (RecognitionAttempt.flagged_by). Reports made
before are moved over from their audit events, which name who reported."""

from django.conf import settings
from django.db import migrations, models

FLAGGED = "recognition.flagged_by_customer"


def reports_from_the_audit_trail(apps, schema_editor):
    attempt_model = apps.get_model("payments", "RecognitionAttempt")
    audit_event = apps.get_model("accounts", "AuditEvent")
    user_model = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    through = attempt_model.flagged_by.through
    flagged = set(
        attempt_model.objects.filter(flagged_by_customer_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    pairs = set()
    for data in audit_event.objects.filter(name=FLAGGED).values_list("data", flat=True):
        attempt_id, customer_id = (data or {}).get("attempt_id"), (data or {}).get("customer_id")
        if attempt_id in flagged and user_model.objects.filter(pk=customer_id).exists():
            pairs.add((attempt_id, customer_id))
    through.objects.bulk_create(
        [through(recognitionattempt_id=a, user_id=c) for a, c in sorted(pairs)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_phone_unique_once_verified"),
        ("payments", "0009_merchant_models_moved_to_merchants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="recognitionattempt",
            name="flagged_by",
            field=models.ManyToManyField(
                blank=True,
                related_name="flagged_recognition_attempts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(reports_from_the_audit_trail, migrations.RunPython.noop),
    ]
