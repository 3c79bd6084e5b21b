"""Online checkout in a real Chromium: the demo shop creates a payment request through
the real HTTP API, the customer confirms it on the (emulated) phone with the front
camera (a fake camera playing real LFW photos: neutral, then smiling), SmilePay checks
1:1 + liveness, sends the shopper back to the shop, and the signed webhook marks the
order paid. Another enrolled person's face fails, and so does a still photo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from smilepay.faces.lab import bursts
from tests.e2e.conftest import CAMERA_SMILES_AT_S, chromium_browser, make_y4m, start_live_server
from tests.payments.online_helpers import LFW, PEOPLE, jitter_frames, lfw_photo

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PASSWORD = "a long enough passphrase"
CUSTOMERS = {
    "alice": ("alice@example.com", "+12025550181"),
    "bob": ("bob@example.com", "+12025550182"),
}

# Enrolled inside the server's database through accounts' services, not the browser
# (the enrollment page has its own browser test).
ENROLL = """
from django.conf import settings
from django.utils import timezone
from accounts import enrollment, services
from accounts.models import FaceProfile, User
from payments.services import wallet_topup
from tests.payments.online_helpers import enrollment_photos
for person, (email, phone) in {customers!r}.items():
    user = User.objects.create_user(email, {password!r}, full_name=person.title(), phone_e164=phone)
    user.phone_verified_at = timezone.now()
    user.save(update_fields=["phone_verified_at"])
    FaceProfile.objects.get_or_create(user=user)
    services.consent_grant(user_id=user.pk, version=settings.BIOMETRIC_CONSENT_VERSION)
    wallet_topup(user_id=user.pk, amount_minor=5000, currency=settings.DEFAULT_CURRENCY)
    photos, accepted = enrollment_photos(person), 0
    for image in photos:
        try:
            enrollment.enrollment_capture(user_id=user.pk, image=image)
        except enrollment.EnrollmentRefused:
            continue
        accepted += 1
        if accepted == settings.FACE_ENROLL_CAPTURES:
            break
    assert enrollment.enrollment_self_check(user_id=user.pk, image=photos[-1]).matched
    print("enrolled", person)
"""


def camera(person: str, tmp_path, *, still: bool = False):
    """The fake front camera: 2.4 s of neutral frames, then ~3 s smiling, each frame
    jittered like a real camera's; `still` plays one smiling photo unchanged."""
    name, neutral, smiling = PEOPLE[person]
    if still:
        frames = jitter_frames(lfw_photo(name, smiling), 1, seed=3) * 25
    else:
        frames = jitter_frames(lfw_photo(name, neutral), round(CAMERA_SMILES_AT_S * 5), seed=1)
        frames += jitter_frames(lfw_photo(name, smiling), 15, seed=2)
    return make_y4m(
        bursts.frames_to_pil(frames),
        tmp_path / f"{person}{'-still' if still else ''}.y4m",
        seconds_each=0.2,
        fps=10,
    )


@pytest.fixture
def engine_ready():
    if not LFW.exists():
        pytest.skip(f"{LFW} is missing (SMILEPAY_FACES_DIR)")


@pytest.fixture
def shop(engine_ready, tmp_path):
    # The demo shop is an explicit opt-in, and so are its webhooks to this machine.
    with start_live_server(
        tmp_path / "live", DEMO_SHOP="true", WEBHOOK_ALLOW_PRIVATE_TARGETS="true"
    ) as live:
        live.manage("seed_demo", "--quiet")
        out = live.shell(ENROLL.format(customers=CUSTOMERS, password=PASSWORD))
        assert out.count("enrolled") == 2, out
        yield live


@contextmanager
def buy_and_confirm(live, video, *, customer: str = "alice") -> Iterator[tuple]:
    """The shop page in one context, the customer's phone in another; yields the shop
    page, the phone page after "Confirm with my face" has answered, and the payment id.
    Playwright is closed however the block ends: a sync Playwright left open keeps its
    event loop marked running, which would break every later test that uses asyncio."""
    email, phone_number = CUSTOMERS[customer]
    with chromium_browser(video) as browser:
        shop_page = browser.new_context(base_url=live.url).new_page()
        shop_page.set_default_timeout(30_000)
        shop_page.goto("/shop/")
        shop_page.check("input[value=beans]")
        shop_page.fill("input[name=phone]", phone_number)
        shop_page.click("#buy-form button")
        # The shop calls SmilePay's API over HTTP before it redirects: on a busy machine
        # that first request (cold caches) can take a while, so wait for the navigation.
        try:
            shop_page.wait_for_url(re.compile(r"/shop/orders/[\w-]+/"), timeout=90_000)
        except Exception as exc:
            raise AssertionError(f"no order page; server log:\n{live.log()[-4000:]}") from exc
        # The shop's order reference is its own; the payment is the newest one.
        payment_id = int(
            live.shell(
                "from payments.models import Payment; print(Payment.objects.latest('pk').pk)"
            )
        )

        phone = browser.new_context(
            base_url=live.url, permissions=["camera"], viewport={"width": 390, "height": 844}
        ).new_page()
        phone.set_default_timeout(30_000)
        phone.goto(f"/accounts/login/?next=/me/payments/{payment_id}/confirm/")
        phone.fill("input[name=username]", email)
        phone.fill("input[name=password]", PASSWORD)
        phone.click("form button.primary, form button[type=submit]")
        phone.wait_for_url(f"**/me/payments/{payment_id}/confirm/")
        assert "12.99" in phone.inner_text("#amount")
        assert "Coffee beans, 1 kg" in phone.inner_text("#description")
        assert "Demo Café" in phone.inner_text("#checkout")
        phone.click("#confirm-face")
        yield shop_page, phone, payment_id


def test_the_right_face_pays_and_the_shop_learns_it_by_webhook(shop, tmp_path):
    with buy_and_confirm(shop, camera("alice", tmp_path)) as (shop_page, phone, payment_id):
        phone.wait_for_url(shop_page.url, timeout=90_000)  # back at the shop's order page
        try:
            phone.wait_for_selector("#order-paid", timeout=30_000)
        except Exception as exc:
            deliveries = shop.shell(
                "from payments.models import WebhookDelivery as W; "
                "print(list(W.objects.values_list('event_type', 'status', 'attempts', "
                "'last_status_code', 'last_error')))"
            )
            raise AssertionError(f"{deliveries}\n{shop.log()[-4000:]}") from exc
        shop_page.reload()
        shop_page.wait_for_selector("#order-paid", timeout=30_000)
    status = shop.shell(
        "from payments.models import Payment, WebhookDelivery as W; "
        f"p = Payment.objects.get(pk={payment_id}); "
        "print(p.status, W.objects.filter(payment=p, event_type='payment.succeeded', "
        "status='succeeded').count())"
    )
    assert status.split() == ["succeeded", "1"]


def test_another_enrolled_person_fails(shop, tmp_path):
    with buy_and_confirm(shop, camera("bob", tmp_path)) as (_, phone, payment_id):
        phone.wait_for_selector("#checkout[data-state=failed]", timeout=90_000)
        assert "didn't look like you" in phone.inner_text("#prompt")
    out = shop.shell(
        f"from payments.models import Payment; p = Payment.objects.get(pk={payment_id}); "
        "print(p.status, p.reason)"
    )
    assert out.split() == ["failed", "no_match"]


def test_a_still_photo_fails_liveness(shop, tmp_path):
    still_photo = camera("alice", tmp_path, still=True)
    with buy_and_confirm(shop, still_photo) as (_, phone, payment_id):
        phone.wait_for_selector("#checkout[data-state=failed]", timeout=90_000)
        assert "smile" in phone.inner_text("#prompt")
    out = shop.shell(
        f"from payments.models import Payment; p = Payment.objects.get(pk={payment_id}); "
        "print(p.status, p.reason)"
    )
    assert out.split() == ["failed", "not_live"]
