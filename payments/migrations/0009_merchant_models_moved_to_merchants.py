"""State only: the foreign keys to the merchant's models now name merchants.X (same
tables, see merchants/migrations/0001_initial.py), and payments forgets the models it gave away."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kiosk", "0004_capture_session_kiosk_in_merchants"),
        ("merchants", "0001_initial"),
        ("payments", "0008_payment_events_into_audit_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="kiosk",
                    name="merchant",
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="kiosk",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="merchants.kiosk",
                    ),
                ),
                migrations.AlterField(
                    model_name="recognitionattempt",
                    name="kiosk",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="recognition_attempts",
                        to="merchants.kiosk",
                    ),
                ),
                migrations.RemoveField(
                    model_name="kioskpairingcode",
                    name="kiosk",
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="merchant",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="merchants.merchant",
                    ),
                ),
                migrations.AlterField(
                    model_name="idempotencyrecord",
                    name="merchant",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="idempotency_records",
                        to="merchants.merchant",
                    ),
                ),
                migrations.RemoveField(
                    model_name="merchantmembership",
                    name="merchant",
                ),
                migrations.AlterField(
                    model_name="ledgeraccount",
                    name="merchant",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_accounts",
                        to="merchants.merchant",
                    ),
                ),
                migrations.RemoveField(
                    model_name="webhookendpoint",
                    name="merchant",
                ),
                migrations.RemoveField(
                    model_name="merchantmembership",
                    name="user",
                ),
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="endpoint",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="merchants.webhookendpoint",
                    ),
                ),
                migrations.DeleteModel(
                    name="ApiKey",
                ),
                migrations.DeleteModel(
                    name="Kiosk",
                ),
                migrations.DeleteModel(
                    name="KioskPairingCode",
                ),
                migrations.DeleteModel(
                    name="Merchant",
                ),
                migrations.DeleteModel(
                    name="MerchantMembership",
                ),
                migrations.DeleteModel(
                    name="WebhookEndpoint",
                ),
            ],
        ),
    ]
