"""State only: the foreign keys to the merchant's models now name merchants.X (same
tables, see merchants/migrations/0001_initial.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kiosk", "0003_capture_challenge"),
        ("merchants", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="capturesession",
                    name="kiosk",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="capture_sessions",
                        to="merchants.kiosk",
                    ),
                ),
            ],
        ),
    ]
