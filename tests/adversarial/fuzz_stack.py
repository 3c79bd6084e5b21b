"""A production-like stack for the adversarial tests: uvicorn on PostgreSQL and Redis.

On top of tests/e2e/conftest.py's `start_live_server` (a database of its own, migrated,
`uvicorn smilepay.asgi:application` as a subprocess) and tests/services.py. It seeds the
people an attacker would pretend to be or attack, through `manage.py shell` against the
server's database, and hands back their credentials:

* a merchant with an owner (merchant site session) and a live API key;
* a paired kiosk (its device cookie) with an open payment;
* a customer with a verified phone and biometric consent (portal session), and an online
  payment request waiting for them.

It also finds the server's process, so that a test can look at what it has open
(`open_files_under`): proof that an upload never touched the disk.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import LiveServer, start_live_server

CSRF_TOKEN = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # 32 characters: a valid CSRF secret

SEED = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from merchants.services import kiosk_pair
from merchants import services as merchant_services
from payments import services
from merchants.models import MerchantMembership
from tests.accounts.conftest import make_customer
from tests.payments import factories as f

def session_for(user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.EmailOrPhoneBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

cafe = f.merchant(name="Fuzz Cafe")
owner = f.staff(cafe, role=MerchantMembership.Role.OWNER)
kiosk = f.kiosk(cafe, name="Fuzz counter")
token = kiosk_pair(code=merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)).device_token
mallory = make_customer("mallory@example.com", "+12025550166", name="Mallory", consent=True)
services.wallet_topup(user_id=mallory.pk, amount_minor=100_000, currency="USD")
kiosk_payment = services.payment_create(
    merchant_id=cafe.pk, kiosk_id=kiosk.pk, amount_minor=500, currency="USD"
)
online = services.payment_create(
    merchant_id=cafe.pk, customer_id=mallory.pk, amount_minor=700, currency="USD"
)
print(json.dumps({
    "api_key": f.api_key(cafe),
    "kiosk_token": token,
    "kiosk_id": kiosk.pk,
    "kiosk_payment_id": kiosk_payment.pk,
    "online_payment_id": online.pk,
    "owner_session": session_for(owner),
    "customer_session": session_for(mallory),
}))
"""


@dataclass
class Stack:
    live: LiveServer
    pid: int
    api_key: str
    kiosk_token: str
    kiosk_id: int
    kiosk_payment_id: int
    online_payment_id: int
    owner_session: str
    customer_session: str

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def port(self) -> int:
        return self.live.port

    def cookies(self, who: str) -> dict[str, str]:
        """The cookies a browser of `who` (kiosk, customer, owner, anonymous) would send."""
        jar = {"csrftoken": CSRF_TOKEN}
        if who == "kiosk":
            jar["smilepay_kiosk"] = self.kiosk_token
        elif who == "customer":
            jar["sessionid"] = self.customer_session
        elif who == "owner":
            jar["sessionid"] = self.owner_session
        return jar

    def cookie_header(self, who: str) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies(who).items())


def server_pid(port: int) -> int:
    """The uvicorn child process of this test run that listens on `port`."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and b"uvicorn" in cmdline and str(port).encode() in cmdline:
            return int(entry.name)
    raise AssertionError(f"no uvicorn child of this process on port {port}")


def open_files_under(pid: int, folder: Path) -> list[str]:
    """The files (deleted or not) that process `pid` has open inside `folder`."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed between listing and reading
        if target.startswith(str(folder)):
            found.append(target)
    return found


@contextlib.contextmanager
def fuzz_stack(tmp: Path, *, redis_url: str, **env: str) -> Iterator[Stack]:
    """The live server on PostgreSQL (TEST_DATABASE_URL) and Redis, seeded; its temp
    folder is `tmp/spool` (TMPDIR), so that anything spilled to disk shows there."""
    spool = tmp / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    with start_live_server(tmp / "live", redis_url=redis_url, TMPDIR=str(spool), **env) as live:
        seeded = json.loads(live.shell(SEED).strip().splitlines()[-1])
        yield Stack(live=live, pid=server_pid(live.port), **seeded)
