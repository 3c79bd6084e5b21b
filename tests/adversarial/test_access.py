"""Access checks, probed as an attacker against a production-like stack (real uvicorn on
PostgreSQL + Redis, see access_stack.py): one merchant's API key or staff cannot read,
refund or cancel another's payments, kiosks, webhooks or keys; a kiosk cannot touch
another's payments; a customer cannot read, confirm or decline another's payment; a
revoked API key or kiosk is refused at once (HTTP and websocket); a customer's socket
dies with the session; websockets refuse foreign origins. No probe may succeed."""

from __future__ import annotations

import json
import uuid

import pytest
import websockets
from websockets.sync.client import connect

from tests.adversarial.access_stack import AccessStack, access_stack

pytestmark = pytest.mark.integration

DENIED = {401, 403, 404}


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 100, 90)).save(out, "JPEG")
    return out.getvalue()


# A well-formed smile burst (8 frames), so the probe reaches the ownership check.
BURST = [("frame", (f"f{n}.jpg", _jpeg(), "image/jpeg")) for n in range(8)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url):
    with access_stack(tmp_path_factory.mktemp("access"), redis_url) as running:
        yield running


@pytest.fixture
def probes(stack: AccessStack):
    """Each test's probes; none may have succeeded when the test ends."""
    before = len(stack.probes.made)
    yield stack.probes
    made = stack.probes.made[before:]
    assert made, "the test made no probe"
    assert [name for name, ok in made if ok] == []


def denied(probes, name: str, answer) -> None:
    probes.check(f"{name} -> {answer.status_code}", answer.status_code not in DENIED)


def key() -> str:
    return uuid.uuid4().hex


def ws_refused(url: str, *, origin: str, cookie: str = "") -> bool:
    """True when the server refuses the socket (handshake refused or closed at once)."""
    headers = {"Cookie": cookie} if cookie else {}
    try:
        with connect(url, origin=origin, additional_headers=headers, open_timeout=30) as socket:
            socket.recv(timeout=30)  # a refusing consumer closes instead of answering
    except (websockets.exceptions.InvalidStatus, websockets.exceptions.ConnectionClosed):
        return True
    return False


# --- merchant API keys --------------------------------------------------------------------


def test_an_api_key_of_one_merchant_cannot_touch_anothers_payments_or_kiosks(stack, probes):
    a, b = stack.facts["a"], stack.facts["b"]
    api = stack.api(a["api_secret"])
    denied(probes, "API A reads B's payment", api.get(f"payments/{b['paid']}"))
    denied(
        probes, "API A refunds B's payment", api.post(f"payments/{b['paid']}/refunds", key=key())
    )
    denied(probes, "API A cancels B's payment", api.post(f"payments/{b['open']}/cancel", key=key()))
    denied(
        probes,
        "API A cancels B's awaiting",
        api.post(f"payments/{b['awaiting']}/cancel", key=key()),
    )
    denied(
        probes,
        "API A charges at B's kiosk",
        api.post("payments", {"amount_minor": 100, "kiosk_id": b["kiosk"]}, key=key()),
    )
    listed = {p["id"] for p in api.get("payments?limit=100").json()["results"]}
    probes.check("API A lists B's payments", bool(listed & {b["paid"], b["open"], b["awaiting"]}))
    kiosks = {k["id"] for k in api.get("kiosks").json()["results"]}
    probes.check("API A lists B's kiosks", b["kiosk"] in kiosks)
    probes.check("B's paid payment moved", stack.status_of(b["paid"]) != "succeeded")
    probes.check("B's open payment moved", stack.status_of(b["open"]) != "created")


# --- merchant staff -----------------------------------------------------------------------


def test_staff_of_one_merchant_cannot_touch_anothers_payments_kiosks_webhooks_or_keys(
    stack, probes
):
    a, b = stack.facts["a"], stack.facts["b"]
    staff = stack.browser()
    staff.sign_in(a["owner"])
    denied(probes, "staff A reads B's payment", staff.get(f"/merchant/payments/{b['paid']}/"))
    denied(
        probes,
        "staff A refunds B's payment",
        staff.post(f"/merchant/payments/{b['paid']}/refund/", {"amount": "1.00"}),
    )
    denied(
        probes, "staff A revokes B's kiosk", staff.post(f"/merchant/kiosks/{b['kiosk']}/revoke/")
    )
    denied(probes, "staff A pairs B's kiosk", staff.post(f"/merchant/kiosks/{b['kiosk']}/pair/"))
    denied(probes, "staff A reads B's webhook", staff.get(f"/merchant/webhooks/{b['endpoint']}/"))
    denied(
        probes,
        "staff A disables B's webhook",
        staff.post(f"/merchant/webhooks/{b['endpoint']}/disable/"),
    )
    denied(
        probes,
        "staff A resends B's delivery",
        staff.post(f"/merchant/webhooks/deliveries/{b['delivery']}/resend/"),
    )
    denied(
        probes,
        "staff A revokes B's API key",
        staff.post(f"/merchant/api-keys/{b['api_key']}/revoke/"),
    )
    staff.post("/merchant/switch/", {"merchant_id": str(b["merchant"])})
    page = staff.get("/merchant/payments/").text
    probes.check("staff A switches into B", "Bravo Bakery" in page)
    export = staff.get("/merchant/payments/export.csv").text
    probes.check("staff A exports B's payments", f"\n{b['paid']}," in export)
    probes.check("B's payment refunded", stack.status_of(b["paid"]) != "succeeded")
    b_kiosk = stack.browser()
    b_kiosk.http.cookies.set("smilepay_kiosk", b["kiosk_token"])
    probes.check(
        "B's kiosk lost its device", b_kiosk.get("/kiosk/api/payments/current").status_code != 200
    )
    b_api = stack.api(b["api_secret"])
    probes.check("B's API key revoked", b_api.get("payments").status_code != 200)


# --- kiosks -------------------------------------------------------------------------------


def test_a_kiosk_cannot_touch_another_merchants_payments(stack, probes):
    a, b = stack.facts["a"], stack.facts["b"]
    kiosk = stack.browser()
    kiosk.http.cookies.set("smilepay_kiosk", a["kiosk_token"])
    denied(
        probes, "kiosk A cancels B's payment", kiosk.post(f"/kiosk/api/payments/{b['open']}/cancel")
    )
    denied(
        probes,
        "kiosk A opens a capture on B's payment",
        kiosk.post(f"/kiosk/api/payments/{b['open']}/capture-session"),
    )
    current = kiosk.get("/kiosk/api/payments/current").json().get("payment") or {}
    probes.check("kiosk A sees B's payment", current.get("id") in {b["open"], b["awaiting"]})
    probes.check("B's open payment moved", stack.status_of(b["open"]) != "created")


# --- customers ----------------------------------------------------------------------------


def test_a_customer_cannot_read_confirm_or_decline_anothers_payment(stack, probes):
    a = stack.facts["a"]
    mallory = stack.browser()
    mallory.sign_in("mallory@example.com")
    for payment in (a["awaiting"], a["online"]):
        denied(probes, f"Mallory reads {payment}", mallory.get(f"/me/payments/{payment}/confirm/"))
        denied(
            probes,
            f"Mallory approves {payment}",
            mallory.post(f"/me/payments/{payment}/confirm/", {"action": "approve"}),
        )
        denied(
            probes,
            f"Mallory declines {payment}",
            mallory.post(f"/me/payments/{payment}/confirm/decline/"),
        )
        denied(
            probes,
            f"Mallory confirms {payment} with her password",
            mallory.post(
                f"/me/payments/{payment}/confirm/password/", {"password": "probe passphrase 1"}
            ),
        )
        denied(
            probes,
            f"Mallory confirms {payment} with her face",
            mallory.post(f"/me/payments/{payment}/confirm/face/", files=BURST),
        )
    history = mallory.get("/me/payments/").text
    probes.check("Mallory's history shows Casey's payments", "Alpha Café" in history)
    probes.check(
        "Casey's kiosk payment moved", stack.status_of(a["awaiting"]) != "awaiting_confirmation"
    )
    probes.check("Casey's online payment moved", stack.status_of(a["online"]) != "created")


# --- revocation takes effect at once ------------------------------------------------------


def test_a_revoked_api_key_is_refused_at_once(stack, probes):
    a = stack.facts["a"]
    api = stack.api(a["doomed_secret"])
    assert api.get("payments").status_code == 200  # works before
    owner = stack.browser()
    owner.sign_in(a["owner"])
    assert owner.post(f"/merchant/api-keys/{a['doomed_key']}/revoke/").status_code == 302
    denied(probes, "revoked key reads", api.get("payments"))
    denied(probes, "revoked key reads a payment", api.get(f"payments/{a['paid']}"))
    denied(probes, "revoked key refunds", api.post(f"payments/{a['paid']}/refunds", key=key()))
    denied(
        probes,
        "revoked key creates",
        api.post("payments", {"amount_minor": 100, "kiosk_id": a["kiosk"]}, key=key()),
    )


def test_a_revoked_kiosk_is_refused_at_once_over_http_and_websocket(stack, probes):
    a = stack.facts["a"]
    cookie = f"smilepay_kiosk={a['doomed_kiosk_token']}"
    origin = stack.url
    with connect(
        stack.ws_url("/ws/kiosk/"), origin=origin, additional_headers={"Cookie": cookie}
    ) as socket:
        assert json.loads(socket.recv(timeout=30))["type"] == "payment"
        owner = stack.browser()
        owner.sign_in(a["owner"])
        assert owner.post(f"/merchant/kiosks/{a['doomed_kiosk']}/revoke/").status_code == 302
        # The open socket is told and closed by the server, without the page doing anything.
        told = json.loads(socket.recv(timeout=60))
        probes.check("open kiosk socket kept after revoke", told != {"type": "revoked"})
        try:
            extra = socket.recv(timeout=60)
        except websockets.exceptions.ConnectionClosed as closed:
            probes.check("kiosk socket closed with a wrong code", closed.rcvd.code != 4403)
        else:
            probes.check(f"revoked kiosk socket still receives: {extra}", True)
    device = stack.browser()
    device.http.cookies.set("smilepay_kiosk", a["doomed_kiosk_token"])
    denied(probes, "revoked kiosk reads", device.get("/kiosk/api/payments/current"))
    denied(
        probes,
        "revoked kiosk charges",
        device.http.post(stack.url + "/kiosk/api/payments", json={"amount_minor": 100}, timeout=60),
    )
    probes.check(
        "revoked kiosk reconnects its socket",
        not ws_refused(stack.ws_url("/ws/kiosk/"), origin=origin, cookie=cookie),
    )


# --- websockets ---------------------------------------------------------------------------


def test_a_customer_socket_dies_with_the_session(stack, probes):
    casey = stack.browser()
    casey.sign_in("casey@example.com")
    cookie = casey.cookie_header()
    with connect(
        stack.ws_url("/ws/customer/"), origin=stack.url, additional_headers={"Cookie": cookie}
    ) as socket:
        assert json.loads(socket.recv(timeout=30))["type"] == "state"
        assert casey.post("/accounts/logout/").status_code == 302
        try:
            message = json.loads(socket.recv(timeout=60))
            socket.recv(timeout=60)
        except websockets.exceptions.ConnectionClosed:
            message = {"type": "signed_out"}
        else:
            probes.check(f"socket still open after sign-out: {message}", True)
        probes.check("socket not told of sign-out", message != {"type": "signed_out"})
    probes.check(
        "old session cookie opens the customer socket",
        not ws_refused(stack.ws_url("/ws/customer/"), origin=stack.url, cookie=cookie),
    )


def test_websockets_refuse_foreign_origins_and_anonymous_customers(stack, probes):
    a = stack.facts["a"]
    casey = stack.browser()
    casey.sign_in("casey@example.com")
    port = stack.port
    for origin in (
        f"http://127.0.0.1:{port + 1}",
        "http://evil.example",
        f"https://127.0.0.1:{port}",
    ):
        probes.check(
            f"customer socket from {origin}",
            not ws_refused(
                stack.ws_url("/ws/customer/"), origin=origin, cookie=casey.cookie_header()
            ),
        )
        probes.check(
            f"kiosk socket from {origin}",
            not ws_refused(
                stack.ws_url("/ws/kiosk/"),
                origin=origin,
                cookie=f"smilepay_kiosk={a['kiosk_token']}",
            ),
        )
    probes.check(
        "anonymous customer socket", not ws_refused(stack.ws_url("/ws/customer/"), origin=stack.url)
    )
    with (
        connect(stack.ws_url("/ws/health/"), origin=stack.url) as sender,
        connect(stack.ws_url("/ws/health/"), origin=stack.url) as bystander,
    ):
        sender.recv(timeout=30)
        bystander.recv(timeout=30)
        sender.send(json.dumps({"payload": "<img src=x onerror=alert(1)>"}))
        assert json.loads(sender.recv(timeout=30))["type"] == "echo"
        bystander.send(json.dumps({"payload": "mine"}))
        probes.check(
            "health socket relays a stranger's payload",
            json.loads(bystander.recv(timeout=30))["payload"] != "mine",
        )


# --- guessing passwords -------------------------------------------------------------------


def test_guessing_a_password_locks_the_account_even_for_the_right_one(stack, probes):
    guesser = stack.browser()
    for n in range(8):
        answer = guesser.post(
            "/accounts/login/", {"username": "owner-b@example.com", "password": f"guess {n}"}
        )
        probes.check(f"wrong password {n} signs in", answer.status_code == 302)
    right = guesser.post(
        "/accounts/login/", {"username": "owner-b@example.com", "password": "probe passphrase 1"}
    )
    probes.check("the right password after 8 guesses signs in", right.status_code == 302)
    probes.check("the lockout is not explained", "Too many failed sign-ins" not in right.text)
    resets = [
        guesser.post("/accounts/password-reset/", {"email": "casey@example.com"}).status_code
        for _ in range(5)
    ]
    probes.check(f"five reset mails in a row: {resets}", resets.count(302) > 3)
