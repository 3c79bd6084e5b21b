"""Request bodies are capped and uploads authenticated before the body is read.

The ASGI layer (smilepay/body_limits.py) in isolation, then against a real uvicorn with raw
sockets: the server must answer while the client is still sending (no timing involved:
the client stops sending part-way and waits for the answer), and nothing it reads may
spill into its temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from smilepay.body_limits import BodyLimitMiddleware, body_cap
from tests.adversarial.fuzz_stack import fuzz_stack, open_files_under

# --- the ASGI layer alone ---------------------------------------------------------------


class RecordingApp:
    """A stand-in for Django's handler that reads the whole body first, as Django does."""

    def __init__(self) -> None:
        self.body = b""
        self.ran = False
        self.disconnected = False

    async def __call__(self, scope, receive, send) -> None:
        self.ran = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                return
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(path: str, chunks: list[bytes], *, headers=(), method: str = "POST"):
    app = RecordingApp()
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    asyncio.run(BodyLimitMiddleware(app)(scope, receive, send))
    # The sender check queried from asgiref's sync thread: close that thread's connection.
    asyncio.run(sync_to_async(connections.close_all)())
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return app, status, body, len(pending)


def test_a_declared_length_above_the_cap_is_refused_before_the_app_runs(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    app, status, body, unread = call(
        "/api/v1/payments", [b"x" * 10] * 5, headers=[(b"content-length", b"200000000")]
    )
    assert status == 413 and not app.ran
    assert unread == 5  # not a byte read
    assert json.loads(body)["error"]["code"] == "too_large"


def test_a_body_streaming_past_the_cap_is_cut_off_and_the_app_told_the_client_left(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    app, status, _, unread = call("/api/v1/payments", [b"x" * 400] * 10)  # no length given
    assert status == 413
    assert app.disconnected and len(app.body) <= 1000
    assert unread == 7  # it stopped reading at the cap


def test_a_body_within_the_cap_reaches_the_app_whole(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    app, status, body, _ = call("/api/v1/payments", [b"x" * 400, b"y" * 400])
    assert status == 200 and body == b"ok" and len(app.body) == 800


def test_no_cap_is_larger_than_what_the_spool_keeps_in_memory(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
    for path in ["/kiosk/api/capture", "/me/payments/7/confirm/face/", "/api/v1/payments"]:
        assert body_cap(path) <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "cookie"),
    [
        ("/kiosk/api/capture", b""),
        ("/kiosk/api/capture", b"smilepay_kiosk=kd_forged"),
        ("/me/face/enroll/capture/", b""),
        ("/me/face/enroll/capture/", b"sessionid=forged-session-key"),
        ("/me/payments/1/confirm/face/", b"sessionid=forged-session-key"),
    ],
)
def test_an_upload_from_a_stranger_is_refused_before_the_body_is_read(path, cookie):
    app, status, _, unread = call(
        path, [b"frame"] * 3, headers=[(b"content-length", b"15"), (b"cookie", cookie)]
    )
    assert status == 401 and not app.ran and unread == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ([(b"accept-language", b"fr-FR,fr;q=0.9")], "Connectez-vous d’abord."),
        ([(b"cookie", b"smilepay_language=fr")], "Connectez-vous d’abord."),
        ([(b"accept-language", b"en-US")], "Sign in first."),
    ],
)
def test_a_refusal_before_django_speaks_the_visitors_language(headers, says):
    _, status, body, _ = call("/me/face/enroll/capture/", [b"frame"], headers=headers)
    assert status == 401 and json.loads(body)["error"]["message"] == says


# --- against a real uvicorn ---------------------------------------------------------------


# The server's in-memory spool: small, so that "past it" is a few MB and the test quick.
SPOOL = 4 * 2**20


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url, postgres_url):
    with fuzz_stack(
        tmp_path_factory.mktemp("body-limits"),
        redis_url=redis_url,
        FILE_UPLOAD_MAX_MEMORY_SIZE=str(SPOOL),
    ) as running:
        yield running


def open_request(port: int, path: str, headers: dict[str, str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def status_of(sock: socket.socket) -> int:
    head = sock.recv(65536).split(b"\r\n", 1)[0]
    return int(head.split()[1])


def wait_for_answer(sock: socket.socket, *, also=lambda: None, timeout: float = 60) -> int:
    """Poll until the server answers (or `also` returns something, which fails the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answered(sock):
            return status_of(sock)
        problem = also()
        assert not problem, problem
        time.sleep(0.05)
    raise AssertionError(f"no answer within {timeout:.0f}s while the client held the body back")


@pytest.mark.integration
def test_an_anonymous_200_mb_capture_is_refused_while_the_client_is_still_sending(stack):
    sock = open_request(
        stack.port,
        "/kiosk/api/capture",
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(200 * 2**20)},
    )
    with sock:
        sock.sendall(b"x" * 32 * 1024)  # 32 KB of the 200 MB promised, then nothing
        assert wait_for_answer(sock) == 413


@pytest.mark.integration
def test_an_anonymous_capture_under_the_cap_is_refused_401_while_still_sending(stack):
    sock = open_request(
        stack.port,
        "/kiosk/api/capture",
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(3 * 2**20)},
    )
    with sock:
        sock.sendall(b"x" * 32 * 1024)
        assert wait_for_answer(sock) == 401


@pytest.mark.integration
def test_a_paired_kiosk_streaming_past_the_memory_spool_is_cut_off_before_the_disk(stack):
    spool = stack.live.tmp.parent / "spool"
    sock = open_request(
        stack.port,
        "/kiosk/api/capture",
        {
            "Content-Type": "multipart/form-data; boundary=x",
            "Transfer-Encoding": "chunked",
            "Cookie": stack.cookie_header("kiosk"),
        },
    )
    chunk = b"x" * 65536
    sent = 0
    with sock:
        # Past the 4 MB in-memory spool (where Django would roll over to a temp file) and
        # then hold the rest back: the server must have answered, with nothing on disk.
        while sent < SPOOL + 2**20 and not answered(sock):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        status = wait_for_answer(sock, also=lambda: open_files_under(stack.pid, spool))
    assert status == 413
    assert open_files_under(stack.pid, spool) == []
    assert list(spool.iterdir()) == []
