"""The merchant's models move here from payments without touching the database.

Their tables keep the payments_ names (Meta.db_table), so this migration only tells
Django's state that the models are now merchants'; payments 0009 and kiosk 0004 re-point
their foreign keys in the state and forget the old models. The one write renames the
models' content types, so that admin history and permissions follow them; on a fresh
database there are none yet (they are created after migrate) and it does nothing.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = (
    "apikey",
    "kiosk",
    "kioskpairingcode",
    "merchant",
    "merchantmembership",
    "webhookendpoint",
)


def _relabel(apps, *, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A twin under the new label (a content type created by hand, or by a run
        # interrupted half-way) keeps its rows; the old row then stays as it was.
        if content_type.objects.filter(app_label=new, model=model).exists():
            continue
        content_type.objects.filter(app_label=old, model=model).update(app_label=new)
    content_type.objects.clear_cache()


def content_types_to_merchants(apps, schema_editor) -> None:
    _relabel(apps, old="payments", new="merchants")


def content_types_back_to_payments(apps, schema_editor) -> None:
    _relabel(apps, old="merchants", new="payments")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("accounts", "0005_auditevent_payment_id"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("payments", "0008_payment_events_into_audit_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Kiosk",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        ("location", models.CharField(blank=True, max_length=200)),
                        (
                            "device_token_hash",
                            models.CharField(blank=True, db_index=True, max_length=64),
                        ),
                        ("paired_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("require_phone_digits", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "payments_kiosk",
                    },
                ),
                migrations.CreateModel(
                    name="Merchant",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        ("slug", models.SlugField(max_length=80, unique=True)),
                        ("currency", models.CharField(default="USD", max_length=3)),
                        (
                            "return_hosts",
                            models.TextField(
                                blank=True,
                                help_text="Host names your shop's return URLs use, one per line (e.g. shop.example.com).",
                            ),
                        ),
                        (
                            "max_payment_minor",
                            models.PositiveBigIntegerField(
                                blank=True,
                                help_text="Largest payment in minor units (cents); empty for the site default.",
                                null=True,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "payments_merchant",
                    },
                ),
                migrations.CreateModel(
                    name="KioskPairingCode",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code_hash", models.CharField(max_length=64, unique=True)),
                        ("expires_at", models.DateTimeField()),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "kiosk",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="pairing_codes",
                                to="merchants.kiosk",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "payments_kioskpairingcode",
                    },
                ),
                migrations.AddField(
                    model_name="kiosk",
                    name="merchant",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="kiosks",
                        to="merchants.merchant",
                    ),
                ),
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        ("prefix", models.CharField(max_length=16)),
                        ("key_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "merchant",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_keys",
                                to="merchants.merchant",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "payments_apikey",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="WebhookEndpoint",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("url", models.URLField(max_length=500)),
                        ("secret", models.CharField(max_length=80)),
                        ("event_types", models.JSONField(blank=True, default=list)),
                        ("is_active", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "merchant",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="webhook_endpoints",
                                to="merchants.merchant",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "payments_webhookendpoint",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="MerchantMembership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("owner", "Owner"),
                                    ("manager", "Manager"),
                                    ("cashier", "Cashier"),
                                ],
                                default="cashier",
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "merchant",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="merchants.merchant",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="merchant_memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "payments_merchantmembership",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("merchant", "user"), name="unique_membership"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_to_merchants, content_types_back_to_payments),
    ]
