"""Templates remember which face encoders made them; other configurations' are not used
and an operator command discards them."""

import io

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, FaceTemplate
from accounts.selectors import (
    customer_face_pay_status,
    face_enrolled_count,
    face_templates_version,
    load_face_templates,
)
from tests.accounts.conftest import enroll

pytestmark = pytest.mark.django_db

OLD = "dlib+mobilefacenet@0123456789abcdef/mesh5"


def _as_old_configuration(user) -> None:
    FaceTemplate.objects.filter(user=user).update(configuration=OLD)


def _reset(*args: str) -> str:
    out = io.StringIO()
    call_command("reset_face_templates", *args, stdout=out)
    return out.getvalue()


def test_templates_record_the_encoder_configuration_that_made_them(barack, obama_photos):
    enroll(barack, obama_photos)
    assert set(FaceTemplate.objects.values_list("configuration", flat=True)) == {"dlib"}


def test_templates_of_another_configuration_are_never_searched(
    barack, joe, obama_photos, biden_photos
):
    enroll(barack, obama_photos)
    enroll(joe, biden_photos)
    _as_old_configuration(joe)
    assert set(load_face_templates(candidates_only=False)) == {barack.pk}
    assert face_enrolled_count() == 1
    status = customer_face_pay_status(user_id=joe.pk)
    assert status.template_count == 0 and not status.enabled


@pytest.mark.slow
def test_the_reset_command_says_what_it_would_delete_and_changes_nothing(
    barack, joe, obama_photos, biden_photos
):
    enroll(barack, obama_photos)
    enroll(joe, biden_photos)
    _as_old_configuration(joe)
    said = _reset()
    assert "Face encoders in force: dlib" in said
    assert f"3 of '{OLD}' (1 customers)" in said
    assert "cannot be compared" in said and "enrol again" in said
    assert "Run again with --yes" in said
    assert FaceTemplate.objects.filter(user=joe).count() == 3


@pytest.mark.slow
def test_the_reset_command_deletes_only_other_configurations_templates(
    barack, joe, obama_photos, biden_photos
):
    enroll(barack, obama_photos)
    enroll(joe, biden_photos)
    _as_old_configuration(joe)
    version = face_templates_version()
    said = _reset("--yes")
    assert "Deleted 3 templates of 1 customers." in said
    assert not FaceTemplate.objects.filter(user=joe).exists()
    assert FaceTemplate.objects.filter(user=barack).count() == 3
    event = AuditEvent.objects.get(name="face.templates_discarded")
    assert event.user_id == joe.pk and event.data["templates"] == 3
    assert event.data["configurations"] == [OLD]
    assert face_templates_version() > version  # kiosks rebuild their galleries
    assert "nothing to do" in _reset("--yes")


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_reset_runs_racing_each_other_discard_each_customers_templates_once(
    on_postgres, monkeypatch
):
    from accounts import face_configuration
    from tests.accounts.conftest import make_customer
    from tests.concurrency import run_concurrently

    customers = [make_customer(f"c{i}@example.com", f"+1202555{i:04d}") for i in range(5)]
    for user in customers:
        for _ in range(3):
            FaceTemplate.objects.create(user=user, ciphertext=b"old", configuration=OLD)
    real_audit = face_configuration.audit

    def slow_audit(*args, **kwargs):
        # Widen the window between reading a customer's templates and committing, so a
        # run that did not lock them would read what another run is deleting.
        import time

        time.sleep(0.05)
        return real_audit(*args, **kwargs)

    monkeypatch.setattr(face_configuration, "audit", slow_audit)
    _results, errors = run_concurrently(
        4, lambda i: face_configuration.face_templates_discard_foreign()
    )
    assert errors == []
    assert not FaceTemplate.objects.exists()
    events = AuditEvent.objects.filter(name="face.templates_discarded")
    assert sorted(events.values_list("user_id", flat=True)) == sorted(c.pk for c in customers)
