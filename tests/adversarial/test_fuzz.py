"""The fuzz part of the standing adversarial suite: hostile input on every JSON endpoint,
upload, query string and websocket of the product; no 5xx anywhere, and the server still
serves afterwards.

Against a real uvicorn on PostgreSQL and Redis (fuzz_stack.py), over HTTP like an attacker.
The corpus is the black-box probe's findings plus systematic
mutations: value types, sizes, encodings, nesting, unicode digits, huge integers,
multipart where JSON is expected and back, missing and forged credentials. Hypothesis
adds generated JSON documents, derandomized and bounded, so the run is the same each time
and takes about a minute.

    CI=true TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/smilepay \\
    TEST_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/pytest -s tests/adversarial/test_fuzz.py

prints the tally (requests sent, endpoints covered, 5xx count).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import requests
import websockets
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.adversarial.fuzz_stack import CSRF_TOKEN, Stack, fuzz_stack

pytestmark = pytest.mark.integration

# --- the corpus -----------------------------------------------------------------------

SURROGATE = "\ud800"
# Values that have broken (or could break) a field: types, sizes, unicode digits, huge ints.
VALUES: list = [
    None, True, False, 0, -1, 1.5, -0.0, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1,
    10**30, "", " ", "0", "42", "²", "٣", "1e3", "1_000", "0x10", "NaN", "-5", "x" * 5000,
    "a\x00b", SURROGATE, "😀", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
    [], {}, [1, 2], {"nested": {"deeper": [None]}},
]  # fmt: skip
# Raw bodies that are not the JSON a server expects (the probe's, and their cousins).
RAW_BODIES: list[bytes] = [
    b"", b"   ", b"null", b"[]", b'"a string"', b"42", b"{", b"}", b"{'a': 1}",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    b'{"amount_minor": 5, "s": "\xff\xfe\xfd"}',
    b'{"endpoint": "\\ud800", "keys": {"p256dh": "\\udfff", "auth": "x"}}',
    b'{"amount_minor": NaN}', b'{"amount_minor": Infinity}',
    b'{"amount_minor": ' + b"9" * 5000 + b"}",
    b'{"amount_minor": 1e999}',
    b'{"a": 1, "a": 2}',
    b"\x00\x01\x02\x03",
    "{\"ümlaut\": \"naïve ☺\"}".encode("utf-16"),
]  # fmt: skip
QUERY_VALUES = [
    "²", "٣", "-1", "0", "9" * 25, "", "%", "\x00", "null", "1e3", "9999-12-31",
    "0001-01-01", "2024-02-30", "2024-13-01T99:99", "9999-12-31T23:59:59+14:00",
    "' OR 1=1 --", "x" * 3000, SURROGATE, "😀",
]  # fmt: skip
FORGED_COOKIES = [
    {}, {"smilepay_kiosk": "kd_forged"}, {"sessionid": "forged"}, {"smilepay_kiosk": "²" * 40},
    {"sessionid": "x" * 4000},
]  # fmt: skip
FORGED_BEARERS = [None, "", "Bearer", "Bearer sk_forged", "Basic abc", "Bearer sk_²", "x" * 5000]


def image(size: tuple[int, int], fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 110, 100)).save(buffer, fmt, **options)
    return buffer.getvalue()


def png_bomb(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (64, 48), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def frames_corpus() -> dict[str, bytes]:
    jpeg = image((640, 480), "JPEG")
    return {
        "jpeg": jpeg,
        "truncated jpeg": jpeg[: len(jpeg) // 3],
        "corrupt jpeg": jpeg[:200] + bytes(2000) + jpeg[2200:],
        "bare jpeg signature": b"\xff\xd8\xff" + bytes(64),
        "png bomb 6000": png_bomb(6000),
        "webp 3000 wide": image((3000, 10), "WEBP"),
        "animated webp": animated_webp(),
        "gif": image((64, 48), "GIF"),
        "text": b"definitely a jpeg",
        "empty": b"",
        "oversize": b"\xff\xd8\xff" + bytes(700_000),
    }


# --- sending and counting -------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    endpoints: set = field(default_factory=set)
    server_errors: list = field(default_factory=list)

    def record(self, endpoint: str, case: str, status: int) -> None:
        self.requests += 1
        self.statuses[status // 100 * 100] += 1
        self.endpoints.add(endpoint)
        if status >= 500:
            self.server_errors.append((status, endpoint, case[:200]))


TALLY = Tally()


def encode(value: str) -> str:
    """Percent-encoded UTF-8; a lone surrogate becomes the invalid bytes ED A0 80."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def template(path: str) -> str:
    return re.sub(r"/[0-9]+(?=/|$)", "/<id>", path.split("?")[0])


class Attacker:
    """One identity's HTTP session against the stack; every answer is tallied."""

    def __init__(self, stack: Stack, who: str) -> None:
        self.stack = stack
        self.session = requests.Session()
        for name, value in stack.cookies(who).items():
            self.session.cookies.set(name, value)
        self.session.headers["X-CSRFToken"] = CSRF_TOKEN
        if who == "api":
            self.session.headers["Authorization"] = f"Bearer {stack.api_key}"

    def send(self, method: str, path: str, case: str, **kwargs) -> requests.Response | None:
        if "params" in kwargs:  # encoded here: requests cannot encode a lone surrogate
            path += "?" + "&".join(f"{k}={encode(v)}" for k, v in kwargs.pop("params").items())
        if isinstance(kwargs.get("data"), dict):  # form values may hold lone surrogates
            kwargs["data"] = {
                k: v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v
                for k, v in kwargs["data"].items()
            }
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        try:
            response = self.session.request(method, self.stack.url + path, **kwargs)
        except requests.ConnectionError:
            # A refusal with Connection: close while we were still sending: not a 5xx,
            # but the answer must have been a 4xx; re-ask with the declared size only.
            TALLY.record(template(path), case, 499)
            return None
        TALLY.record(template(path), case, response.status_code)
        return response

    def json(self, method: str, path: str, body: bytes, case: str, **headers) -> None:
        headers.setdefault("Content-Type", "application/json")
        self.send(method, path, case, data=body, headers=headers)


def json_variants(fields: dict) -> Iterator[tuple[str, bytes]]:
    """Each field set to each hostile value, plus the raw bodies, plus the fields dropped."""
    for name in fields:
        for value in VALUES:
            body = {**fields, name: value}
            yield f"{name}={value!r}"[:80], json.dumps(body).encode()
    for index, raw in enumerate(RAW_BODIES):
        yield f"raw body #{index}", raw
    yield "no fields", b"{}"


# --- the stack ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url, postgres_url) -> Iterator[Stack]:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with fuzz_stack(tmp_path_factory.mktemp("fuzz"), redis_url=redis_url) as running:
        yield running


def assert_no_server_errors(since: int) -> None:
    errors = TALLY.server_errors[since:]
    assert not errors, f"{len(errors)} answers were 5xx: {errors[:20]}"


# --- merchant API ---------------------------------------------------------------------


def test_the_merchant_api_never_answers_5xx(stack):
    before = len(TALLY.server_errors)
    api = Attacker(stack, "api")
    fields = {"amount_minor": 500, "kiosk_id": stack.kiosk_id, "description": "fuzz"}
    for case, body in json_variants(fields):
        api.json("POST", "/api/v1/payments", body, case, **{"Idempotency-Key": uuid.uuid4().hex})
    online = {"amount_minor": 700, "customer_phone": "+12025550166", "return_url": "https://a.b"}
    for case, body in json_variants(online):
        api.json("POST", "/api/v1/payments", body, case, **{"Idempotency-Key": uuid.uuid4().hex})
    pid = stack.kiosk_payment_id
    for path, fields in [
        (f"/api/v1/payments/{pid}/refunds", {"amount_minor": 100, "reason": "fuzz"}),
        (f"/api/v1/payments/{pid}/cancel", {"reason": "fuzz"}),
    ]:
        for case, body in json_variants(fields):
            api.json("POST", path, body, case, **{"Idempotency-Key": uuid.uuid4().hex})
    for key in ["", "x" * 300, "²", SURROGATE.encode("utf-8", "surrogatepass").decode("latin-1")]:
        api.json("POST", "/api/v1/payments", b'{"amount_minor": 5}', f"key {key[:20]!r}",
                 **{"Idempotency-Key": key})  # fmt: skip
    api.send("POST", "/api/v1/payments", "multipart", files={"f": ("a.txt", b"x")},
             headers={"Idempotency-Key": "multipart"})  # fmt: skip
    for name in ["status", "kiosk_id", "channel", "created_gte", "created_lt", "limit", "cursor"]:
        for value in QUERY_VALUES:
            api.send("GET", "/api/v1/payments", f"{name}={value!r}", params={name: value})
    for path in ["/api/v1/payments/0", f"/api/v1/payments/{2**64}", "/api/v1/payments/²",
                 "/api/v1/kiosks", "/api/schema/", "/api/v1/nowhere"]:  # fmt: skip
        api.send("GET", path, "path")
    for bearer in FORGED_BEARERS:
        headers = {} if bearer is None else {"Authorization": bearer}
        anonymous = requests.Session()
        response = anonymous.get(stack.url + "/api/v1/payments", headers=headers, timeout=60)
        TALLY.record("/api/v1/payments", f"bearer {str(bearer)[:20]!r}", response.status_code)
        assert response.status_code in (401, 403), response.text[:200]
    assert_no_server_errors(before)


# --- kiosk ----------------------------------------------------------------------------


def test_the_kiosk_api_and_its_capture_upload_never_answer_5xx(stack):
    before = len(TALLY.server_errors)
    kiosk = Attacker(stack, "kiosk")
    for case, body in json_variants({"amount_minor": 500}):
        kiosk.json("POST", "/kiosk/api/payments", body, case)
    kiosk.send("POST", "/kiosk/api/payments", "multipart on JSON",
               files={"amount_minor": (None, "500"), "f": ("a.txt", b"x")})  # fmt: skip
    kiosk.send("POST", "/kiosk/api/payments", "form on JSON", data={"amount_minor": "500"})
    pid = stack.kiosk_payment_id
    for path in [f"/kiosk/api/payments/{pid}/capture-session", f"/kiosk/api/payments/{pid}/cancel",
                 f"/kiosk/api/payments/{2**64}/cancel", "/kiosk/api/payments/current"]:  # fmt: skip
        kiosk.send("POST" if not path.endswith("current") else "GET", path, "path")
    opened = kiosk.send("POST", f"/kiosk/api/payments/{pid}/capture-session", "open")
    token = opened.json().get("token", "") if opened is not None and opened.ok else ""
    corpus = frames_corpus()
    good = corpus["jpeg"]
    for name, frame in corpus.items():
        for count in (1, 4, 12, 13):
            files = [("frame", (f"f{i}.jpg", frame, "image/jpeg")) for i in range(count)]
            kiosk.send("POST", "/kiosk/api/capture", f"{count} x {name}",
                       data={"token": token, "phone_digits": ""}, files=files)  # fmt: skip
    for field_name, value in [("token", "forged"), ("token", "x" * 5000), ("phone_digits", "²²²²"),
                              ("phone_digits", "٣٣٣٣"), ("phone_digits", "\x00" * 4),
                              ("token", SURROGATE)]:  # fmt: skip
        data = {"token": token, "phone_digits": "", field_name: value}
        files = [("frame", (f"f{i}.jpg", good, "image/jpeg")) for i in range(4)]
        kiosk.send("POST", "/kiosk/api/capture", f"{field_name}={value[:10]!r}",
                   data={k: v.encode("utf-8", "surrogatepass") for k, v in data.items()},
                   files=files)  # fmt: skip
    kiosk.json("POST", "/kiosk/api/capture", b'{"frames": []}', "JSON on multipart")
    for cookies in FORGED_COOKIES:
        stranger = requests.Session()
        for name, value in cookies.items():
            stranger.cookies.set(name, value)
        for path in ["/kiosk/api/payments", "/kiosk/api/capture"]:
            response = stranger.post(stack.url + path, data=b"x" * 1000, timeout=60,
                                     headers={"X-CSRFToken": CSRF_TOKEN})  # fmt: skip
            TALLY.record(path, f"stranger {cookies}", response.status_code)
            assert 400 <= response.status_code < 500
    for code in ["", "²²²²-²²²²", "x" * 5000, "\x00"]:
        kiosk.send("POST", "/kiosk/pair", f"pair {code[:10]!r}", data={"code": code})
    assert_no_server_errors(before)


# --- customer portal ------------------------------------------------------------------


def test_the_portal_json_endpoints_and_camera_uploads_never_answer_5xx(stack):
    before = len(TALLY.server_errors)
    customer = Attacker(stack, "customer")
    subscription = {
        "endpoint": "https://push.example.com/send/abc",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
    }
    for path in ["/me/notifications/subscribe/", "/me/notifications/unsubscribe/"]:
        for case, body in json_variants(subscription):
            customer.json("POST", path, body, case)
        customer.send("POST", path, "multipart on JSON", files={"keys": ("k", b"x")})
    customer.send(
        "POST", "/me/notifications/test/", "test push", headers={"Accept": "application/json"}
    )
    corpus = frames_corpus()
    for path in [
        "/me/face/enroll/check/",
        "/me/face/enroll/capture/",
        "/me/face/enroll/self-check/",
    ]:
        for name, frame in corpus.items():
            customer.send("POST", path, name, data=frame, headers={"Content-Type": "image/jpeg"})
        customer.send("POST", path, "multipart", files={"frame": ("f.jpg", corpus["jpeg"])})
    online = stack.online_payment_id
    for name, frame in corpus.items():
        for count in (3, 4, 12, 13):
            files = [("frame", (f"f{i}.jpg", frame, "image/jpeg")) for i in range(count)]
            customer.send("POST", f"/me/payments/{online}/confirm/face/", f"{count} x {name}",
                          files=files)  # fmt: skip
    customer.json("POST", f"/me/payments/{online}/confirm/face/", b"{}", "JSON on multipart")
    for value in QUERY_VALUES:
        customer.send("GET", "/me/payments/", f"page={value!r}", params={"page": value})
        customer.send("GET", "/me/activity/", f"page={value!r}", params={"page": value})
        customer.send("POST", f"/me/payments/{stack.kiosk_payment_id}/confirm/",
                      f"action={value!r}", data={"action": value})  # fmt: skip
        customer.send("GET", "/accounts/verify-phone/", f"next={value!r}", params={"next": value})
    for path in [f"/me/payments/{2**64}/confirm/", "/me/payments/²/confirm/"]:
        customer.send("GET", path, "path")
    assert_no_server_errors(before)


# --- merchant site --------------------------------------------------------------------


def test_the_merchant_site_lists_csv_and_forms_never_answer_5xx(stack):
    before = len(TALLY.server_errors)
    owner = Attacker(stack, "owner")
    for name in ["q", "status", "channel", "kiosk", "date_from", "date_to", "page"]:
        for value in QUERY_VALUES:
            for path in ["/merchant/payments/", "/merchant/payments/export.csv"]:
                response = owner.send("GET", path, f"{name}={value!r}", params={name: value},
                                      stream=True)  # fmt: skip
                if response is not None:
                    response.content  # noqa: B018 - read the whole streamed CSV
    for value in ["²", "٣", str(2**70), "-1", "", SURROGATE, "\x00"]:
        owner.send("POST", "/merchant/switch/", f"merchant_id={value!r}",
                   data={"merchant_id": value.encode("utf-8", "surrogatepass")})  # fmt: skip
    for value in ["", "-1", "1e3", "²", "99999999999999999999", "NaN", "0.001"]:
        form = {"amount": value, "reason": "fuzz", "expected_refunded_minor": value}
        owner.send("POST", f"/merchant/payments/{stack.kiosk_payment_id}/refund/",
                   f"refund amount={value!r}", data=form)  # fmt: skip
    assert_no_server_errors(before)


def test_the_demo_shop_never_answers_5xx(stack):
    before = len(TALLY.server_errors)
    shopper = Attacker(stack, "anonymous")
    for value in QUERY_VALUES:
        shopper.send("GET", "/shop/return", f"payment_id={value!r}", params={"payment_id": value})
    for raw in RAW_BODIES[:6]:
        shopper.json("POST", "/shop/webhook", raw, "unsigned webhook")
    assert_no_server_errors(before)


# --- generated JSON (hypothesis) ------------------------------------------------------

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["²", "٣", SURROGATE, "\x00", "9" * 40])
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_FIELDS = [
    "amount_minor", "kiosk_id", "customer_phone", "customer_email", "currency", "description",
    "return_url", "expires_in_seconds", "reason", "endpoint", "keys",
]  # fmt: skip
JSON_DOCUMENTS = st.dictionaries(
    st.sampled_from(KNOWN_FIELDS) | st.text(max_size=8), JSON_VALUES, max_size=6
)


def test_generated_json_documents_never_make_a_json_endpoint_answer_5xx(stack):
    before = len(TALLY.server_errors)
    api, kiosk, customer = (Attacker(stack, who) for who in ("api", "kiosk", "customer"))
    targets = [
        (api, "/api/v1/payments"),
        (api, f"/api/v1/payments/{stack.kiosk_payment_id}/refunds"),
        (kiosk, "/kiosk/api/payments"),
        (customer, "/me/notifications/subscribe/"),
    ]

    @settings(
        max_examples=120,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(document=JSON_DOCUMENTS)
    def send(document: dict) -> None:
        body = json.dumps(document).encode()
        for who, path in targets:
            who.json("POST", path, body, f"generated {body[:120]!r}",
                     **{"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip

    send()
    assert_no_server_errors(before)


# --- websockets -----------------------------------------------------------------------

WS_GARBAGE: list[str | bytes] = [
    "not json {", "[" * 50_000 + "]" * 50_000, "[1, 2]", '"text"', "NaN", "",
    '{"type": "refresh", "x": "\\ud800"}', '{"a": "\\u0000"}', b"\x00\xff\xfe binary", b"",
]  # fmt: skip


async def _websocket_round(url: str, origin: str, cookie: str) -> list:
    """Open, send every garbage frame, then prove the socket still answers a real message."""
    closes = []
    headers = {"Cookie": cookie} if cookie else {}
    async with websockets.connect(
        url, origin=origin, additional_headers=headers, max_size=2**22, open_timeout=30
    ) as socket:
        await asyncio.wait_for(socket.recv(), 30)  # hello / state
        for frame in WS_GARBAGE:
            await socket.send(frame)
            answer = json.loads(await asyncio.wait_for(socket.recv(), 30))
            closes.append(answer.get("type"))
        # Still open and served: a ping is answered (every consumer ignores other objects).
        await asyncio.wait_for(await socket.ping(), 30)
        closes.append("pong")
    return closes


def test_websockets_take_garbage_frames_without_closing_or_crashing(stack):
    before = len(TALLY.server_errors)
    ws = stack.url.replace("http://", "ws://")
    for path, who in [("/ws/health/", "anonymous"), ("/ws/kiosk/", "kiosk"),
                      ("/ws/customer/", "customer")]:  # fmt: skip
        answers = asyncio.run(_websocket_round(ws + path, stack.url, stack.cookie_header(who)))
        TALLY.record(path, "websocket garbage", 101)
        TALLY.requests += len(WS_GARBAGE)
        assert answers[: len(WS_GARBAGE)] == ["error"] * len(WS_GARBAGE), (path, answers)
        assert answers[-1] == "pong", (path, answers)
    assert_no_server_errors(before)


# --- afterwards -----------------------------------------------------------------------


def test_the_server_still_serves_and_logged_no_crash(stack):
    health = requests.get(stack.url + "/healthz", timeout=60)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    created = requests.post(
        stack.url + "/api/v1/payments",
        json={"amount_minor": 250, "kiosk_id": stack.kiosk_id},
        headers={"Authorization": f"Bearer {stack.api_key}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=60,
    )
    assert created.status_code == 201, created.text[:300]
    log = stack.live.log()
    assert "Traceback" not in log, log[-3000:]
    assert "Internal Server Error" not in log and "Exception in ASGI application" not in log
    print(
        f"\nfuzz: {TALLY.requests} requests, {len(TALLY.endpoints)} endpoints, "
        f"{len(TALLY.server_errors)} answered 5xx; by class {dict(sorted(TALLY.statuses.items()))}"
        f"\nendpoints: {', '.join(sorted(TALLY.endpoints))}"
    )
    assert TALLY.server_errors == []
