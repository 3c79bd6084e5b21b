"""Webcam enrollment, checked on the server with real photographs."""

import io
import logging

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from accounts import enrollment
from accounts.errors import EnrollmentRefused
from accounts.models import AuditEvent, FaceFlag, FaceTemplate
from accounts.selectors import (
    customer_face_pay_status,
    face_pay_candidates,
    face_templates_version,
    load_face_templates,
)
from smilepay.faces import false_match_risk
from tests.accounts.conftest import enroll, make_customer, photo

pytestmark = pytest.mark.django_db


def post_frame(client, url: str, image: bytes):
    return client.post(url, image, content_type="image/jpeg")


def edited(image: bytes, *, brightness: float = 1.0, scale: float = 1.0) -> bytes:
    img = Image.open(io.BytesIO(image)).convert("RGB")
    if brightness != 1.0:
        img = ImageEnhance.Brightness(img).enhance(brightness)
    if scale != 1.0:
        img = img.resize((int(img.width * scale), int(img.height * scale)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_the_guidance_box_of_a_sideways_phone_photo_lies_on_the_upright_picture(
    client, barack, obama_photos
):
    """Stored sideways with an EXIF orientation (as phones do): the engine turns it
    upright, and the box it draws is measured on that upright picture."""
    portrait = Image.open(io.BytesIO(obama_photos[0])).convert("RGB")
    upright = Image.new("RGB", (portrait.width * 2, portrait.height), (90, 90, 90))
    upright.paste(portrait, (portrait.width, 0))  # wide, the face on the right
    sideways = upright.rotate(90, expand=True)  # what orientation 6 turns back upright
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=92, exif=exif.tobytes())
    client.force_login(barack)
    check = post_frame(client, "/me/face/enroll/check/", out.getvalue()).json()
    top, right, bottom, left = check["box"]
    assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1, check["box"]


def test_barack_enrolls_through_the_page_endpoints_and_face_pay_turns_on(
    client, barack, obama_photos, caplog
):
    caplog.set_level(logging.DEBUG)
    client.force_login(barack)
    page = client.get("/me/face/enroll/")
    assert page.status_code == 200
    assert 'data-needed="3"' in page.content.decode()
    version = face_templates_version()

    check = post_frame(client, "/me/face/enroll/check/", obama_photos[0]).json()
    assert check["ok"] and check["problems"] == [] and len(check["box"]) == 4
    assert not FaceTemplate.objects.exists()  # a guidance check stores nothing

    for i, expected in enumerate([1, 2, 3]):
        response = post_frame(client, "/me/face/enroll/capture/", obama_photos[i])
        assert response.status_code == 200, response.content
        assert response.json()["accepted"] == expected
    assert response.json()["ready_for_self_check"]
    assert FaceTemplate.objects.filter(user=barack, status="pending").count() == 3
    assert not customer_face_pay_status(user_id=barack.pk).enabled

    response = post_frame(client, "/me/face/enroll/self-check/", obama_photos[3])
    assert response.status_code == 200
    assert response.json()["matched"] is True
    status = customer_face_pay_status(user_id=barack.pk)
    assert (status.enabled, status.template_count) == (True, 3)
    assert list(face_pay_candidates()) == [barack]
    assert list(face_pay_candidates(phone_last4="0100")) == [barack]
    assert list(face_pay_candidates(phone_last4="9999")) == []
    assert face_templates_version() > version
    assert AuditEvent.objects.get(user=barack, name="face.enrolled").data == {
        "templates": 3,
        "replaced": 0,
    }
    # Raw images are never logged.
    assert all(len(record.getMessage()) < 1000 for record in caplog.records)


def test_the_guidance_says_move_closer_too_dark_and_look_straight(barack, obama_photos):
    small = edited(obama_photos[2], scale=0.5)  # face ~48 px
    check = enrollment.enrollment_check_frame(user_id=barack.pk, image=small)
    assert "too_small" in check.problems and "Move closer" in check.messages

    dark = edited(obama_photos[0], brightness=0.25)
    check = enrollment.enrollment_check_frame(user_id=barack.pk, image=dark)
    assert not check.ok
    assert any("Too dark" in m for m in check.messages)

    empty = edited(photo("obama.jpg", width=640), scale=1.0)
    img = Image.open(io.BytesIO(empty)).convert("RGB")
    blank = Image.new("RGB", img.size, (120, 120, 120))
    out = io.BytesIO()
    blank.save(out, "JPEG")
    check = enrollment.enrollment_check_frame(user_id=barack.pk, image=out.getvalue())
    assert check.problems == ["no_face"]
    assert "look straight at the camera" in check.messages[0]


def test_a_picture_with_two_people_is_refused(client, barack):
    two = photo("two_people.jpg", width=1000)
    client.force_login(barack)
    response = post_frame(client, "/me/face/enroll/capture/", two)
    assert response.status_code == 422
    assert response.json()["error"] == "quality"
    assert response.json()["guidance"] == ["Only one person in the picture, please"]
    assert not FaceTemplate.objects.exists()


def test_something_that_is_not_a_picture_is_refused(client, barack):
    client.force_login(barack)
    response = post_frame(client, "/me/face/enroll/capture/", b"not a jpeg at all")
    assert response.status_code == 422
    assert response.json()["error"] == "bad_image"


def test_a_capture_of_another_person_midway_is_refused(barack, obama_photos, biden_photos):
    enrollment.enrollment_capture(user_id=barack.pk, image=obama_photos[0])
    with pytest.raises(EnrollmentRefused) as excinfo:
        enrollment.enrollment_capture(user_id=barack.pk, image=biden_photos[0])
    assert excinfo.value.code == "different_person"


def test_the_self_check_must_match_before_face_pay_turns_on(
    client, barack, obama_photos, biden_photos
):
    client.force_login(barack)
    response = post_frame(client, "/me/face/enroll/self-check/", obama_photos[0])
    assert response.status_code == 422 and response.json()["error"] == "not_enough"
    for image in obama_photos[:3]:
        assert post_frame(client, "/me/face/enroll/capture/", image).status_code == 200
    response = post_frame(client, "/me/face/enroll/self-check/", biden_photos[0])
    assert response.status_code == 200
    assert response.json()["matched"] is False
    assert not customer_face_pay_status(user_id=barack.pk).enabled
    assert list(face_pay_candidates()) == []
    assert post_frame(client, "/me/face/enroll/self-check/", obama_photos[3]).json()["matched"]


def test_a_face_that_matches_another_customer_is_refused_and_flagged_for_the_operator(
    client, barack, joe, obama_photos, settings
):
    settings.SUPPORT_EMAIL = "help@smilepay.example"
    enroll(barack, obama_photos)
    client.force_login(joe)
    response = post_frame(client, "/me/face/enroll/capture/", obama_photos[1])
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "duplicate"
    assert "Write to help@smilepay.example" in body["message"]  # a way on, not a dead end
    flag = FaceFlag.objects.get(user=joe)
    assert flag.other_user == barack and flag.kind == "duplicate_enrollment"
    assert flag.distance is not None and flag.resolved_at is None
    assert not FaceTemplate.objects.filter(user=joe).exists()
    # Barack is untouched.
    assert list(face_pay_candidates()) == [barack]
    # The operator sees it in the admin.
    from accounts.models import User

    operator = User.objects.create_superuser("operator@example.com", "operator-pw-123")
    client.force_login(operator)
    page = client.get("/admin/accounts/faceflag/")
    assert page.status_code == 200
    assert "joe@example.com" in page.content.decode()


def test_once_kiosks_need_phone_digits_a_face_is_a_duplicate_only_within_its_digits(
    barack, joe, obama_photos, settings
):
    enroll(barack, obama_photos)
    # Wider than an open search may be: kiosks search only among customers who share the
    # last 4 phone digits, so only those must not share a face.
    settings.KIOSK_OPEN_SEARCH_MAX_RISK = false_match_risk(identities=1)
    accepted = enrollment.enrollment_capture(user_id=joe.pk, image=obama_photos[1])
    assert accepted.accepted == 1  # Joe's number ends in 0199, Barack's in 0100

    namesake = make_customer("b2@example.com", "+13035550100", name="B. Two", consent=True)
    with pytest.raises(EnrollmentRefused) as refused:
        enrollment.enrollment_capture(user_id=namesake.pk, image=obama_photos[1])
    assert refused.value.code == "duplicate"
    assert FaceFlag.objects.get(user=namesake).other_user == barack


def test_re_enrolling_replaces_the_old_templates(barack, obama_photos):
    enroll(barack, obama_photos)
    first = set(FaceTemplate.objects.values_list("pk", flat=True))
    enrollment.enrollment_start(user_id=barack.pk)
    enroll(barack, obama_photos[1:] + obama_photos[:1])
    active = set(FaceTemplate.objects.filter(status="active").values_list("pk", flat=True))
    assert len(active) == 3 and not active & first
    assert AuditEvent.objects.filter(name="face.enrolled").first().data["replaced"] == 3


def test_opening_the_page_writes_nothing_and_its_start_forgets_unfinished_captures(
    client, barack, obama_photos
):
    enrollment.enrollment_capture(user_id=barack.pk, image=obama_photos[0])
    client.force_login(barack)
    page = client.get("/me/face/enroll/")
    assert 'data-start-url="/me/face/enroll/start/"' in page.content.decode()
    assert FaceTemplate.objects.filter(user=barack, status="pending").count() == 1
    assert client.get("/me/face/enroll/start/").status_code == 405
    response = client.post("/me/face/enroll/start/")
    assert response.status_code == 200 and response.json()["needed"] == 3
    assert not FaceTemplate.objects.filter(user=barack).exists()


def test_an_enrolment_cannot_start_without_consent(client, ada):
    client.force_login(ada)
    response = client.post("/me/face/enroll/start/")
    assert response.status_code == 403
    assert response.json()["error"] == "consent_required"


def test_at_most_five_captures(settings, barack, obama_photos):
    settings.FACE_ENROLL_CAPTURES = 5
    for i in range(5):
        enrollment.enrollment_capture(user_id=barack.pk, image=obama_photos[i % 4])
    with pytest.raises(EnrollmentRefused) as excinfo:
        enrollment.enrollment_capture(user_id=barack.pk, image=obama_photos[0])
    assert excinfo.value.code == "too_many"


def test_frames_are_rate_limited(client, settings, barack, obama_photos):
    settings.FACE_CHECKS_PER_MINUTE = 2
    client.force_login(barack)
    tiny = edited(obama_photos[2], scale=0.3)
    codes = [post_frame(client, "/me/face/enroll/check/", tiny).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_load_face_templates_gives_candidates_only_unless_asked(
    barack, joe, obama_photos, biden_photos
):
    from accounts import services

    enroll(barack, obama_photos)
    enroll(joe, biden_photos)
    services.face_pay_pause(user_id=joe.pk, reason="on holiday")
    gallery = load_face_templates()
    assert set(gallery) == {barack.pk}
    assert all(t.dtype == np.float32 and t.shape == (128,) for t in gallery[barack.pk])
    assert set(load_face_templates(candidates_only=False)) == {barack.pk, joe.pk}
    assert set(load_face_templates(user_ids=[joe.pk])) == {joe.pk}
