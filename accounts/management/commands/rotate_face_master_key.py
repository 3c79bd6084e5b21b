"""Re-wrap every customer's face data key with a new master key.

    FACE_MASTER_KEY_NEW=<base64url 32 bytes> FACE_MASTER_KEY_NEW_ID=prod-2 \\
        manage.py rotate_face_master_key

The old key (FACE_MASTER_KEY / FACE_MASTER_KEY_ID, or any listed in
FACE_MASTER_KEYS_RETIRED) must still be configured to unwrap. Templates are not touched:
only the small wrapped data keys change. Each key is re-wrapped in its own transaction,
so the command can be interrupted and run again. Afterwards, deploy with
FACE_MASTER_KEY=<new key> FACE_MASTER_KEY_ID=<new id> and drop the old key.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import crypto
from accounts.audit import audit
from accounts.models import FaceDataKey


class Command(BaseCommand):
    help = "Re-wrap face data keys with FACE_MASTER_KEY_NEW (id FACE_MASTER_KEY_NEW_ID)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--key-env", default="FACE_MASTER_KEY_NEW")
        parser.add_argument("--key-id-env", default="FACE_MASTER_KEY_NEW_ID")

    def handle(self, *args, key_env: str, key_id_env: str, **options) -> None:
        value = os.environ.get(key_env, "")
        key_id = os.environ.get(key_id_env, "").strip()
        if not value or not key_id:
            raise CommandError(f"set {key_env} (base64url 32 bytes) and {key_id_env}")
        try:
            new = crypto.MasterKey(key_id, crypto.decode_master_key(value, name=key_env))
        except crypto.FaceCryptoError as exc:
            raise CommandError(str(exc)) from exc
        done = skipped = 0
        for pk in FaceDataKey.objects.exclude(master_key_id=key_id).values_list("pk", flat=True):
            with transaction.atomic():
                row = FaceDataKey.objects.select_for_update().filter(pk=pk).first()
                if row is None or row.master_key_id == key_id:
                    skipped += 1
                    continue
                try:
                    data_key = crypto.unwrap_data_key(
                        wrapped=row.wrapped_key,
                        user_id=row.user_id,
                        master_key_id=row.master_key_id,
                    )
                except crypto.FaceCryptoError as exc:
                    raise CommandError(f"data key {pk}: {exc}") from exc
                old_id = row.master_key_id
                row.wrapped_key = crypto.wrap_data_key(
                    data_key=data_key, user_id=row.user_id, master=new
                )
                row.master_key_id = key_id
                row.rewrapped_at = timezone.now()
                row.save(update_fields=["wrapped_key", "master_key_id", "rewrapped_at"])
                audit(
                    "face.key_rewrapped",
                    user_id=row.user_id,
                    data={"from": old_id, "to": key_id},
                )
                done += 1
        self.stdout.write(f"re-wrapped {done} data keys with {key_id} ({skipped} already done)")
