"""Templates encrypted at rest, crypto-shredding and master key rotation."""

import base64
import io
import json
import os

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts import crypto, services
from accounts.models import AuditEvent, FaceDataKey, FaceTemplate
from accounts.selectors import face_templates_version, load_face_templates
from tests.accounts.conftest import enroll

pytestmark = pytest.mark.django_db


def raw_rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_no_plaintext_template_is_in_the_database(barack, obama_photos):
    from smilepay.faces import analyze

    enroll(barack, obama_photos)
    plain = [analyze(p, want_smile=False)[0].encoding for p in obama_photos[:3]]
    stored = [
        bytes(blob)
        for (blob,) in raw_rows(
            "SELECT ciphertext FROM accounts_facetemplate WHERE user_id = %s", [barack.pk]
        )
    ]
    assert len(stored) == 3
    for blob in stored:
        assert len(blob) == 12 + 512 + 16  # nonce + float32[128] + tag
        for encoding in plain:
            raw = np.asarray(encoding, dtype="<f4").tobytes()
            assert raw not in blob
            # Not even a recognisable slice of it, in any precision.
            assert raw[:16] not in blob
            assert np.asarray(encoding, dtype="<f8").tobytes()[:16] not in blob
    (wrapped,) = raw_rows(
        "SELECT wrapped_key FROM accounts_facedatakey WHERE user_id = %s", [barack.pk]
    )[0]
    assert len(bytes(wrapped)) == 12 + 32 + 16
    # Decrypting gives back what was enrolled.
    loaded = load_face_templates(user_ids=[barack.pk])[barack.pk]
    assert min(np.linalg.norm(loaded[0] - e) for e in plain) < 1e-6


def test_a_template_copied_to_another_customer_does_not_decrypt(barack, joe, obama_photos):
    enroll(barack, obama_photos)
    template = FaceTemplate.objects.filter(user=barack).first()
    key = FaceDataKey.objects.get(user=barack)
    data_key = crypto.unwrap_data_key(
        wrapped=key.wrapped_key, user_id=barack.pk, master_key_id=key.master_key_id
    )
    with pytest.raises(crypto.FaceCryptoError):
        crypto.decrypt_template(ciphertext=template.ciphertext, data_key=data_key, user_id=joe.pk)
    with pytest.raises(crypto.FaceCryptoError):
        crypto.unwrap_data_key(
            wrapped=key.wrapped_key, user_id=joe.pk, master_key_id=key.master_key_id
        )


def test_deleting_face_data_destroys_the_key_and_templates_and_keeps_an_audit_without_biometrics(
    client, barack, obama_photos
):
    enroll(barack, obama_photos)
    wrapped = bytes(FaceDataKey.objects.get(user=barack).wrapped_key)
    ciphertexts = [bytes(t.ciphertext) for t in FaceTemplate.objects.filter(user=barack)]
    version = face_templates_version()
    client.force_login(barack)
    response = client.post("/me/privacy/delete-face-data/")
    assert response["Location"] == "/me/privacy/"
    assert not FaceDataKey.objects.filter(user=barack).exists()
    assert not FaceTemplate.objects.filter(user=barack).exists()
    assert face_templates_version() > version
    event = AuditEvent.objects.get(user=barack, name="face.deleted")
    assert event.data == {"templates": 3, "data_key_destroyed": True, "reason": "customer_request"}
    # No audit record carries anything biometric or key-like: counts, versions, reasons.
    for event in AuditEvent.objects.filter(user=barack):
        assert len(json.dumps(event.data)) < 200
        assert not any(isinstance(v, list | bytes) for v in event.data.values())
    # A backup taken before the deletion holds ciphertexts whose data key no longer
    # exists anywhere; the master key alone does not open them.
    master = crypto.current_master_key()
    with pytest.raises(crypto.FaceCryptoError):
        crypto.decrypt_template(ciphertext=ciphertexts[0], data_key=master.key, user_id=barack.pk)
    assert len(wrapped) == 60
    assert load_face_templates(user_ids=[barack.pk]) == {}


def test_the_master_key_can_be_rotated_and_templates_still_decrypt(
    settings, monkeypatch, barack, joe, obama_photos, biden_photos
):
    enroll(barack, obama_photos)
    enroll(joe, biden_photos)
    before = load_face_templates()
    ciphertexts = sorted(bytes(t.ciphertext) for t in FaceTemplate.objects.all())
    new_key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    monkeypatch.setenv("FACE_MASTER_KEY_NEW", new_key)
    monkeypatch.setenv("FACE_MASTER_KEY_NEW_ID", "rotated-2")
    call_command("rotate_face_master_key", stdout=io.StringIO())
    assert set(FaceDataKey.objects.values_list("master_key_id", flat=True)) == {"rotated-2"}
    assert sorted(bytes(t.ciphertext) for t in FaceTemplate.objects.all()) == ciphertexts
    # Deploy the new key: everything decrypts with it alone.
    old_key = settings.FACE_MASTER_KEY
    settings.FACE_MASTER_KEY, settings.FACE_MASTER_KEY_ID = new_key, "rotated-2"
    after = load_face_templates()
    assert before.keys() == after.keys()
    for user_id in before:
        assert np.allclose(np.stack(before[user_id]), np.stack(after[user_id]))
    # The old key no longer unwraps anything.
    settings.FACE_MASTER_KEY, settings.FACE_MASTER_KEY_ID = old_key, "local-1"
    with pytest.raises(crypto.FaceCryptoError):
        load_face_templates()
    # Running again is harmless.
    settings.FACE_MASTER_KEY, settings.FACE_MASTER_KEY_ID = new_key, "rotated-2"
    call_command("rotate_face_master_key", stdout=io.StringIO())
    assert AuditEvent.objects.filter(name="face.key_rewrapped").count() == 2


def test_rotation_refuses_a_malformed_key(monkeypatch):
    monkeypatch.setenv("FACE_MASTER_KEY_NEW", "too-short")
    monkeypatch.setenv("FACE_MASTER_KEY_NEW_ID", "x")
    with pytest.raises(CommandError):
        call_command("rotate_face_master_key")


def test_retired_master_keys_still_unwrap_during_a_rotation(settings, barack, obama_photos):
    enroll(barack, obama_photos)
    old_key, old_id = settings.FACE_MASTER_KEY, settings.FACE_MASTER_KEY_ID
    settings.FACE_MASTER_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.FACE_MASTER_KEY_ID = "next"
    with pytest.raises(crypto.FaceCryptoError):
        load_face_templates(user_ids=[barack.pk])
    settings.FACE_MASTER_KEYS_RETIRED = f"{old_id}={old_key}"
    assert len(load_face_templates(user_ids=[barack.pk])[barack.pk]) == 3


def test_face_data_delete_is_idempotent(barack):
    assert services.face_data_delete(user_id=barack.pk) == 0
    assert not AuditEvent.objects.filter(name="face.deleted").exists()
