"""A production-like SmilePay for the access probes, and the actors who probe it.

The stack: `uvicorn smilepay.asgi:application` on a fresh PostgreSQL database, Redis
for the cache (rate limits), channel layer and Celery broker, DEBUG off and none of the
development opt-ins (no private webhook or push targets, no demo shop). It is started
with tests/e2e/conftest.py's `start_live_server` (which migrates a database of its own
and runs uvicorn as a subprocess); the data is written by `seed()` inside the server's
database through `manage.py shell`, as an operator would.

Two merchants, A ("Alpha Café") and B ("Bravo Bakery"), each with an owner, an API
key, a paired kiosk, a webhook endpoint with a delivery and paid payments; two
customers, Casey (with payments waiting for her) and Mallory (who tries to take them).

Every probe goes through `Probes.check(name, succeeded)`; the suite asserts at the end
of each test that none succeeded, and the fixture prints the count.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

PASSWORD = "probe passphrase 1"


def seed() -> None:
    """Run inside the server's database (manage.py shell); prints the facts as JSON."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from merchants import services as merchant_services
    from merchants.models import WebhookEndpoint
    from merchants.services import kiosk_pair
    from payments import services
    from payments.models import WebhookDelivery
    from tests.payments import factories as f

    users = get_user_model().objects

    def person(email: str, phone: str | None = None):
        return users.create_user(
            email, PASSWORD, full_name=email.split("@")[0].title(), phone_e164=phone,
            phone_verified_at=timezone.now() if phone else None,
        )  # fmt: skip

    casey = person("casey@example.com", "+12025550181")
    mallory = person("mallory@example.com", "+12025550182")
    services.wallet_topup(user_id=casey.pk, amount_minor=100_000, currency="USD")
    facts: dict = {"customers": {"casey": casey.pk, "mallory": mallory.pk}}
    for label, name in (("a", "Alpha Café"), ("b", "Bravo Bakery")):
        merchant = f.merchant(name=name)
        owner = person(f"owner-{label}@example.com")
        from merchants.models import MerchantMembership

        MerchantMembership.objects.create(merchant=merchant, user=owner, role="owner")
        kiosk = f.kiosk(merchant, name=f"Counter {label.upper()}")
        token = kiosk_pair(
            code=merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
        ).device_token
        key, secret = merchant_services.api_key_create(merchant_id=merchant.pk, name="probe")
        paid = f.paid_payment(merchant, casey)
        open_payment = f.kiosk_payment(merchant, kiosk_=kiosk)
        awaiting = f.matched_payment(merchant, casey)
        online = services.payment_create(
            merchant_id=merchant.pk, amount_minor=700, currency="USD", customer_id=casey.pk
        )
        endpoint = WebhookEndpoint.objects.create(
            merchant=merchant, url=f"https://hooks.{label}.example/smilepay", secret="whsec_x"
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type="payment.succeeded", event_id=f"evt_{label}",
            payment=paid, payload={"id": f"evt_{label}"}, status="succeeded",
        )  # fmt: skip
        doomed_key, doomed_secret = merchant_services.api_key_create(
            merchant_id=merchant.pk, name="to be revoked"
        )
        doomed_kiosk = f.kiosk(merchant, name=f"Spare {label.upper()}")
        doomed_token = kiosk_pair(
            code=merchant_services.kiosk_issue_pairing_code(kiosk_id=doomed_kiosk.pk)
        ).device_token
        facts[label] = {
            "doomed_key": doomed_key.pk,
            "doomed_secret": doomed_secret,
            "doomed_kiosk": doomed_kiosk.pk,
            "doomed_kiosk_token": doomed_token,
            "merchant": merchant.pk,
            "owner": owner.email,
            "kiosk": kiosk.pk,
            "kiosk_token": token,
            "api_key": key.pk,
            "api_secret": secret,
            "paid": paid.pk,
            "open": open_payment.pk,
            "awaiting": awaiting.pk,
            "online": online.pk,
            "endpoint": endpoint.pk,
            "delivery": delivery.pk,
        }
    print("FACTS " + json.dumps(facts))


@dataclass
class Probes:
    """Every attempt an attacker makes, and whether it got through."""

    made: list[tuple[str, bool]] = field(default_factory=list)

    def check(self, name: str, succeeded: bool) -> None:
        self.made.append((name, bool(succeeded)))

    def succeeded(self) -> list[str]:
        return [name for name, ok in self.made if ok]


class Browser:
    """A person's browser session on the stack (cookies, CSRF token)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=60, **kw)

    def post(self, path: str, data: dict | None = None, **kw) -> requests.Response:
        self.get("/accounts/login/")  # a CSRF cookie, as a page load would give
        token = self.http.cookies.get("csrftoken", "")
        return self.http.post(
            self.base + path,
            data={**(data or {}), "csrfmiddlewaretoken": token},
            headers={"X-CSRFToken": token, "Referer": self.base + path},
            allow_redirects=False,
            timeout=60,
            **kw,
        )

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        answer = self.post("/accounts/login/", {"username": email, "password": password})
        assert answer.status_code == 302, f"{email} could not sign in: {answer.status_code}"

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)


class ApiClient:
    def __init__(self, base: str, secret: str) -> None:
        self.base = base + "/api/v1/"
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {secret}"

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=60)

    def post(self, path: str, body: dict | None = None, *, key: str) -> requests.Response:
        return self.http.post(
            self.base + path, json=body or {}, headers={"Idempotency-Key": key}, timeout=60
        )


@dataclass
class AccessStack:
    url: str
    port: int
    facts: dict
    probes: Probes
    shell: object

    def browser(self) -> Browser:
        return Browser(self.url)

    def api(self, secret: str) -> ApiClient:
        return ApiClient(self.url, secret)

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def status_of(self, payment_id: int) -> str:
        out = self.shell(
            "from payments.models import Payment; "
            f"print(Payment.objects.get(pk={payment_id}).status)"
        )
        return out.strip().splitlines()[-1]


@contextlib.contextmanager
def access_stack(tmp: Path, redis_url: str) -> Iterator[AccessStack]:
    import redis

    from tests.e2e.conftest import start_live_server

    redis.Redis.from_url(redis_url).flushdb()
    production_like = {
        "DEBUG": "false",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "false",
        "WEBPUSH_ALLOW_PRIVATE_ENDPOINTS": "false",
        "WEBPUSH_ALLOW_HTTP_ENDPOINTS": "false",
        "DEMO_SHOP": "false",
    }
    with start_live_server(tmp, redis_url=redis_url, **production_like) as live:
        out = live.shell("from tests.adversarial.access_stack import seed; seed()")
        facts = json.loads(re.search(r"FACTS (.*)", out).group(1))
        probes = Probes()
        yield AccessStack(live.url, live.port, facts, probes, live.shell)
        print(f"\naccess probes made: {len(probes.made)}, succeeded: {len(probes.succeeded())}")
