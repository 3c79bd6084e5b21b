"""Webcam enrollment: live guidance, quality-checked captures, duplicate refusal and the
final self-check that turns face pay on.

Images arrive as JPEG/PNG bytes, are analysed in memory with `smilepay.faces.analyze`
and dropped; they are never stored or logged. Recognition work happens outside any
database transaction; only the outcome is written.

Flow: `enrollment_check_frame` (guidance only, nothing stored) as often as the page
likes; `enrollment_capture` FACE_ENROLL_CAPTURES times (each stored as an encrypted
*pending* template); `enrollment_self_check` with a fresh frame that must match the
pending templates: they become *active*, replacing any earlier ones, and face pay is on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import crypto
from accounts.audit import audit
from accounts.errors import ConsentRequired, EnrollmentRefused, PhoneNotVerified
from accounts.face_search import searched_together_with
from accounts.models import FaceDataKey, FaceFlag, FaceProfile, FaceTemplate, User
from accounts.selectors import face_configuration, load_face_templates
from accounts.services import face_status_announce, face_templates_bump
from smilepay import ratelimit, support
from smilepay.faces import (
    FaceImageError,
    Gallery,
    analyze,
    compare,
    decode_image,
    match_threshold,
    spoof_check,
)
from smilepay.upload_images import ImageRefused, frame_header

MAX_CAPTURES = 5
MAX_IMAGE_BYTES = 2 * 1024 * 1024

# What the page shows for each problem, in the order it should be fixed.
GUIDANCE = {
    "no_face": gettext_lazy("We can't see your face — look straight at the camera"),
    "many_faces": gettext_lazy("Only one person in the picture, please"),
    "too_small": gettext_lazy("Move closer"),
    "partial": gettext_lazy("Move your face to the middle of the picture"),
    "too_dark": gettext_lazy("Too dark — find more light"),
    "low_contrast": gettext_lazy("Too dark — find more light"),
    "too_bright": gettext_lazy("Too bright — move away from the light"),
    "not_frontal": gettext_lazy("Look straight at the camera"),
    "blurry": gettext_lazy("Hold still"),
}
ORDER = list(GUIDANCE)


@dataclass(frozen=True)
class FrameCheck:
    ok: bool
    problems: list[str]  # codes from GUIDANCE
    messages: list[str]
    box: tuple[float, float, float, float] | None = None  # top, right, bottom, left in 0..1
    quality: float = 0.0
    elapsed_ms: float = 0.0

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "messages": self.messages,
            "box": self.box,
            "quality": self.quality,
        }


@dataclass
class _Analysis:
    check: FrameCheck
    encoding: np.ndarray | None = field(default=None, repr=False)
    face: object | None = field(default=None, repr=False)  # the largest Face


def _refuse_presentation_attack(user_id: int, image: bytes, analysis: _Analysis) -> None:
    """An enrolment must be of the live customer in front of the camera, not a photo or
    a screen of somebody (PAD on the capture, as at the kiosk). The message says so."""
    if not settings.FACE_PAD_REQUIRED or analysis.face is None:
        return
    result = spoof_check([decode_image(image)], faces=[analysis.face], scored=1)
    if result.live:
        return
    with transaction.atomic():
        audit(
            "face.enrollment_refused",
            user_id=user_id,
            data={"reason": "presentation_attack", "pad_score": round(result.score, 4)},
        )
    raise EnrollmentRefused(
        _(
            "This looks like a photo or a screen, not a live face. Enroll yourself, in "
            "front of the camera, without holding up a picture."
        ),
        code="presentation_attack",
    )


def _analyse(image: bytes, *, want_encoding: bool, purpose: str = "enroll") -> _Analysis:
    started = time.perf_counter()
    if not image or len(image) > MAX_IMAGE_BYTES:
        raise EnrollmentRefused(_("The picture is empty or too large."), code="bad_image")
    try:
        # Dimensions from the header: a pixel bomb is refused before the engine decodes it.
        frame_header(image, max_bytes=MAX_IMAGE_BYTES)
    except ImageRefused as exc:
        raise EnrollmentRefused(str(exc), code="bad_image") from exc
    try:
        faces = analyze(image, want_encoding=want_encoding, want_smile=False, max_faces=2)
    except FaceImageError as exc:
        raise EnrollmentRefused(_("That was not a picture we can read."), code="bad_image") from exc
    elapsed = (time.perf_counter() - started) * 1000
    if not faces:
        problems = ["no_face"]
    elif len(faces) > 1 and faces[1].size >= 0.5 * faces[0].size:
        problems = ["many_faces"]
    else:
        quality = faces[0].quality
        reasons = quality.reasons if purpose == "enroll" else quality.pay_reasons
        problems = sorted(set(reasons), key=lambda r: ORDER.index(r) if r in ORDER else 99)
    box = None
    score = 0.0
    encoding = None
    if faces:
        face = faces[0]
        score = float(face.quality.score)
        encoding = face.encoding
        # Normalised to the picture, for the page's overlay (no landmarks, no pixels).
        top, right, bottom, left = face.box
        h, w = _image_size(image)
        if h and w:
            box = (
                round(top / h, 3),
                round(right / w, 3),
                round(bottom / h, 3),
                round(left / w, 3),
            )
    messages = list(dict.fromkeys(str(GUIDANCE.get(p, p)) for p in problems))
    return _Analysis(
        check=FrameCheck(
            ok=not problems,
            problems=problems,
            messages=messages,
            box=box,
            quality=round(score, 3),
            elapsed_ms=round(elapsed, 1),
        ),
        encoding=encoding,
        face=faces[0] if faces else None,
    )


ORIENTATION_TAG = 0x0112
QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


def _image_size(image: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(image)) as img:
            # The engine turns the picture upright by its EXIF orientation (a phone held
            # sideways): the face box is in that picture's size, so measure it the same way.
            quarter_turned = img.getexif().get(ORIENTATION_TAG) in QUARTER_TURNS
            return (img.width, img.height) if quarter_turned else (img.height, img.width)
    except Exception:
        return 0, 0


def _require_ready(user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    if user.phone_verified_at is None:
        raise PhoneNotVerified(_("Verify your phone number first."))
    profile = FaceProfile.objects.filter(user_id=user_id).first()
    if profile is None or profile.consent_version != settings.BIOMETRIC_CONSENT_VERSION:
        raise ConsentRequired(_("Please read and accept the biometric consent first."))


def enrollment_frame_count(*, user_id: int) -> None:
    """Count one frame the page sends (check, capture or self-check) with the shared
    limiter; past FACE_CHECKS_PER_MINUTE a minute raise smilepay.ratelimit.RateLimited."""
    ratelimit.hit(
        ratelimit.key_for("frames", user_id),
        limit=settings.FACE_CHECKS_PER_MINUTE,
        window=60,
        scope="face checks",
    )


def enrollment_check_frame(*, user_id: int, image: bytes) -> FrameCheck:
    """Live guidance for one preview frame: nothing is stored."""
    _require_ready(user_id)
    return _analyse(image, want_encoding=False).check


@dataclass(frozen=True)
class CaptureResult:
    accepted: int  # pending captures so far
    needed: int  # captures required before the self-check
    check: FrameCheck

    @property
    def ready_for_self_check(self) -> bool:
        return self.accepted >= self.needed

    def as_json(self) -> dict:
        return {
            "accepted": self.accepted,
            "needed": self.needed,
            "ready_for_self_check": self.ready_for_self_check,
            "check": self.check.as_json(),
        }


def enrollment_start(*, user_id: int) -> None:
    """Begin a new enrolment: unfinished captures are forgotten. The page POSTs this once
    its camera runs (never on the GET of the page, which must not write)."""
    _require_ready(user_id)
    with transaction.atomic():
        FaceProfile.objects.select_for_update().get_or_create(user_id=user_id)
        FaceTemplate.objects.filter(user_id=user_id, status=FaceTemplate.Status.PENDING).delete()


def _data_key_for(user_id: int) -> bytes:
    """The customer's data key, created on first use (call inside a transaction)."""
    row = FaceDataKey.objects.select_for_update().filter(user_id=user_id).first()
    if row is not None:
        return crypto.unwrap_data_key(
            wrapped=row.wrapped_key, user_id=user_id, master_key_id=row.master_key_id
        )
    master = crypto.current_master_key()
    data_key = crypto.new_data_key()
    FaceDataKey.objects.create(
        user_id=user_id,
        wrapped_key=crypto.wrap_data_key(data_key=data_key, user_id=user_id, master=master),
        master_key_id=master.key_id,
    )
    return data_key


def _nearest_other_customer(user_id: int, encoding: np.ndarray) -> tuple[int, float] | None:
    """The closest customer this face could be searched together with (face_search.py)."""
    gallery = Gallery()
    peers = searched_together_with(user_id=user_id)
    if peers is None:
        others = load_face_templates(candidates_only=False)
    else:
        others = load_face_templates(user_ids=peers) if peers else {}
    others.pop(user_id, None)
    for other_id, templates in others.items():
        gallery.add(other_id, np.stack(templates))
    best = gallery.search(encoding, k=1)
    return best[0] if best else None


def _refuse_duplicate(user_id: int, other_id: int, distance: float) -> None:
    with transaction.atomic():
        FaceTemplate.objects.filter(user_id=user_id, status=FaceTemplate.Status.PENDING).delete()
        if not FaceFlag.objects.filter(
            user_id=user_id,
            other_user_id=other_id,
            kind=FaceFlag.Kind.DUPLICATE_ENROLLMENT,
            resolved_at__isnull=True,
        ).exists():
            FaceFlag.objects.create(
                user_id=user_id,
                other_user_id=other_id,
                kind=FaceFlag.Kind.DUPLICATE_ENROLLMENT,
                distance=round(float(distance), 4),
                note="Enrollment refused: the face matches another customer's templates.",
            )
        audit("face.enrollment_refused", user_id=user_id, data={"reason": "duplicate"})


def enrollment_capture(*, user_id: int, image: bytes) -> CaptureResult:
    """Check one capture on the server and keep it (encrypted, pending) if it passes.

    Raises EnrollmentRefused with a code: bad_image, quality (see `check.problems` in
    the guidance), different_person, duplicate, too_many.
    """
    _require_ready(user_id)
    needed = settings.FACE_ENROLL_CAPTURES
    analysis = _analyse(image, want_encoding=True)
    check = analysis.check
    if not check.ok or analysis.encoding is None:
        raise EnrollmentRefused(
            check.messages[0] if check.messages else _("Try again."),
            code="quality",
            guidance=check.messages,
        )
    _refuse_presentation_attack(user_id, image, analysis)
    encoding = analysis.encoding
    threshold = match_threshold()
    pending = load_face_templates(user_ids=[user_id], status=FaceTemplate.Status.PENDING).get(
        user_id, []
    )
    if len(pending) >= MAX_CAPTURES:
        raise EnrollmentRefused(_("You have enough captures: do the final check."), code="too_many")
    if pending and min(compare(encoding, t) for t in pending) > threshold:
        raise EnrollmentRefused(
            _(
                "This doesn't look like the same person as the earlier captures. "
                "Start again with only you in front of the camera."
            ),
            code="different_person",
        )
    nearest = _nearest_other_customer(user_id, encoding)
    if nearest is not None and nearest[1] <= threshold:
        _refuse_duplicate(user_id, nearest[0], nearest[1])
        raise EnrollmentRefused(
            _("We can't enroll this face on this account.") + " " + support.ask_for_help(),
            code="duplicate",
        )
    with transaction.atomic():
        FaceProfile.objects.select_for_update().get_or_create(user_id=user_id)
        data_key = _data_key_for(user_id)
        count = FaceTemplate.objects.filter(
            user_id=user_id, status=FaceTemplate.Status.PENDING
        ).count()
        if count >= MAX_CAPTURES:
            raise EnrollmentRefused(
                _("You have enough captures: do the final check."), code="too_many"
            )
        FaceTemplate.objects.create(
            user_id=user_id,
            status=FaceTemplate.Status.PENDING,
            ciphertext=crypto.encrypt_template(
                encoding=encoding, data_key=data_key, user_id=user_id
            ),
            quality_score=check.quality,
            configuration=face_configuration(),
        )
        audit("face.capture_accepted", user_id=user_id, data={"capture": count + 1})
    return CaptureResult(accepted=count + 1, needed=needed, check=check)


@dataclass(frozen=True)
class SelfCheckResult:
    matched: bool
    distance: float | None
    check: FrameCheck

    def as_json(self) -> dict:
        return {
            "matched": self.matched,
            "distance": None if self.distance is None else round(self.distance, 4),
            "check": self.check.as_json(),
        }


def enrollment_self_check(*, user_id: int, image: bytes) -> SelfCheckResult:
    """A fresh capture must match the pending templates; then face pay turns on."""
    _require_ready(user_id)
    pending = load_face_templates(user_ids=[user_id], status=FaceTemplate.Status.PENDING).get(
        user_id, []
    )
    if len(pending) < settings.FACE_ENROLL_CAPTURES:
        raise EnrollmentRefused(
            ngettext(
                "Take %(count)d good capture first.",
                "Take %(count)d good captures first.",
                settings.FACE_ENROLL_CAPTURES,
            )
            % {"count": settings.FACE_ENROLL_CAPTURES},
            code="not_enough",
        )
    analysis = _analyse(image, want_encoding=True, purpose="pay")
    if not analysis.check.ok or analysis.encoding is None:
        return SelfCheckResult(matched=False, distance=None, check=analysis.check)
    _refuse_presentation_attack(user_id, image, analysis)
    distance = min(compare(analysis.encoding, t) for t in pending)
    if distance > match_threshold():
        with transaction.atomic():
            audit("face.self_check_failed", user_id=user_id)
        return SelfCheckResult(matched=False, distance=distance, check=analysis.check)
    with transaction.atomic():
        profile = FaceProfile.objects.select_for_update().get(user_id=user_id)
        if profile.consent_version != settings.BIOMETRIC_CONSENT_VERSION:
            raise ConsentRequired(_("Consent was withdrawn during enrollment."))
        pending_ids = list(
            FaceTemplate.objects.filter(
                user_id=user_id, status=FaceTemplate.Status.PENDING
            ).values_list("pk", flat=True)
        )
        if len(pending_ids) < settings.FACE_ENROLL_CAPTURES:
            raise EnrollmentRefused(_("Start the enrollment again."), code="not_enough")
        replaced, _deleted = FaceTemplate.objects.filter(
            user_id=user_id, status=FaceTemplate.Status.ACTIVE
        ).delete()
        FaceTemplate.objects.filter(pk__in=pending_ids).update(status=FaceTemplate.Status.ACTIVE)
        profile.face_pay_enabled = True
        profile.enrolled_at = timezone.now()
        profile.save(update_fields=["face_pay_enabled", "enrolled_at", "updated_at"])
        face_templates_bump()
        audit(
            "face.enrolled",
            user_id=user_id,
            data={"templates": len(pending_ids), "replaced": replaced},
        )
        face_status_announce(user_id=user_id)
    return SelfCheckResult(matched=True, distance=distance, check=analysis.check)
