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

OLD = "dlib+mobilefacenet@0123456789abcdef"


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
