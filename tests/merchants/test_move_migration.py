"""The merchant's models moved from payments to merchants without touching a table: a
database migrated from before the move finds its rows through the new models, and the
models' content types (admin history, permissions) follow them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

BEFORE = [
    ("merchants", None),
    ("payments", "0008_payment_events_into_audit_events"),
    ("kiosk", "0003_capture_challenge"),
    ("accounts", "0005_auditevent_payment_id"),
]
CONTENT_TYPES = ("contenttypes", "0002_remove_content_type_name")
MOVED = ["apikey", "kiosk", "kioskpairingcode", "merchant", "merchantmembership", "webhookendpoint"]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    nodes = [target for target in targets if target[1]]  # (app, None): the app unapplied
    return executor.loader.project_state([*nodes, CONTENT_TYPES]).apps


def head():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_a_database_from_before_the_move_keeps_its_rows_and_content_types(on_postgres):
    from django.contrib.contenttypes.models import ContentType

    from merchants.models import ApiKey, Kiosk, Merchant, WebhookEndpoint

    try:
        old = migrate(BEFORE)
        old_types = old.get_model("contenttypes", "ContentType")
        types = {
            model: old_types.objects.get_or_create(app_label="payments", model=model)[0].pk
            for model in MOVED
        }
        old_types.objects.filter(app_label="merchants").delete()
        cafe = old.get_model("payments", "Merchant").objects.create(name="Old Café", slug="old")
        kiosk = old.get_model("payments", "Kiosk").objects.create(merchant=cafe, name="Till")
        key = old.get_model("payments", "ApiKey").objects.create(
            merchant=cafe, name="Backend", prefix="sk_abc", key_hash="h" * 64
        )
        endpoint = old.get_model("payments", "WebhookEndpoint").objects.create(
            merchant=cafe, url="https://shop.example/hook", secret="whsec_x"
        )
        migrate(head())
    finally:
        migrate(head())
        ContentType.objects.clear_cache()

    assert Merchant.objects.get(pk=cafe.pk).name == "Old Café"
    assert Kiosk.objects.get(pk=kiosk.pk).merchant_id == cafe.pk
    assert ApiKey.objects.get(pk=key.pk).key_hash == "h" * 64
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == "https://shop.example/hook"
    moved = ContentType.objects.filter(pk__in=types.values())
    assert sorted(moved.values_list("app_label", "model")) == [("merchants", m) for m in MOVED]
    assert ContentType.objects.get_for_model(Kiosk).pk == types["kiosk"]


def test_a_content_type_already_under_merchants_is_left_as_it_is(on_postgres):
    from django.contrib.contenttypes.models import ContentType

    try:
        old = migrate(BEFORE)
        old_types = old.get_model("contenttypes", "ContentType")
        old_types.objects.filter(app_label__in=["payments", "merchants"], model="kiosk").delete()
        stale = old_types.objects.create(app_label="payments", model="kiosk")
        twin = old_types.objects.create(app_label="merchants", model="kiosk")
        migrate(head())
    finally:
        migrate(head())
        ContentType.objects.clear_cache()

    assert ContentType.objects.get(pk=twin.pk).app_label == "merchants"
    assert ContentType.objects.get(pk=stale.pk).app_label == "payments"
