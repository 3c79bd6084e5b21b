"""SSRF: webhooks and push endpoints reach public addresses only, the address checked is
the address connected to (no DNS rebinding), and the production default allows nothing
private."""

from __future__ import annotations

import ipaddress
import socket
import subprocess

import pytest
from django.utils import translation

from accounts import services as account_services
from accounts.errors import PushSubscriptionInvalid
from merchants import services as merchant_services
from merchants.errors import InvalidSetting
from payments.models import WebhookDelivery
from smilepay import outbound
from tests.payments import factories as f
from tests.payments.test_webhooks import Receiver
from tests.services import REPO, clean_env, python
from tests.webpush import Browser

pytestmark = pytest.mark.django_db

INWARD = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "192.0.0.8", "224.0.0.1", "255.255.255.255",  # noqa: S104
    "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::a9fe:a9fe",
    "2002:a9fe:a9fe::", "2002:7f00:1::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "::127.0.0.1", "::8.8.8.8", "::ffff:0:7f00:1", "::ffff:0:808:808",
]  # fmt: skip
OUTWARD = [
    "8.8.8.8",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::",
]


@pytest.mark.parametrize("address", INWARD)
def test_it_calls_inward_and_wrapped_inward_addresses_not_public(address):
    assert not outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", OUTWARD)
def test_it_calls_public_addresses_public_even_when_wrapped(address):
    assert outbound.is_public(ipaddress.ip_address(address))


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBPUSH_ALLOW_PRIVATE_ENDPOINTS = False


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "http://[2002:a9fe:a9fe::]/hook",
        "http://192.0.0.8/hook",
        "http://[::ffff:127.0.0.1]:8254/hook",
        "http://127.1:8254/hook",
        "http://localhost:8254/hook",
        "http://0x7f000001/hook",
    ],
)
def test_a_webhook_to_an_inward_address_is_refused_without_the_opt_in(production, url):
    cafe = f.merchant()
    with pytest.raises(InvalidSetting) as refused:
        merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=url)
    assert refused.value.code in {"forbidden_url", "invalid_url"}


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("ftp://shop.example/hook", "l’URL doit utiliser http / https"),
        ("https://user:pw@shop.example/hook", "l’URL ne doit pas contenir"),
        ("https://shop.example:99999/hook", "le port de l’URL n’est pas valide"),
        ("https://shop.example:0/hook", "le port de l’URL n’est pas valide"),
        ("https://localhost/hook", "localhost n’est pas une adresse publique"),
    ],
)
def test_a_refused_webhook_url_is_explained_in_the_merchants_language(production, url, said):
    cafe = f.merchant()
    with translation.override("fr"), pytest.raises(InvalidSetting) as refused:
        merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=url)
    assert said in refused.value.message


def test_the_merchant_site_says_a_refused_url_as_a_sentence_in_french(production, client):
    cafe = f.merchant()
    client.force_login(f.staff(cafe))
    page = client.post(
        "/merchant/webhooks/",
        {"url": "https://user:pw@shop.example/hook"},
        HTTP_ACCEPT_LANGUAGE="fr",
    ).content.decode()
    assert "L’URL ne doit pas contenir de nom d’utilisateur ni de mot de passe." in page


def test_a_host_that_resolves_to_any_inward_address_is_refused(production, monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "mixed.example":  # one public answer, one inward: refused all the same
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 443)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443)),
            ]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(outbound.ForbiddenTarget) as refused:
        outbound.resolve("https://mixed.example/h", schemes={"https"}, allow_private=False)
    assert "10.0.0.5" not in str(refused.value)  # the operator's addresses stay unsaid


def test_a_delivery_goes_to_the_address_that_was_checked_not_a_second_dns_answer(
    production, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name answers the receiver's address to the check and another
    address afterwards. The delivery must reach the checked one, never ask DNS again.
    (The receiver is on 127.0.0.1, so for this test only that address counts as public.)"""
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        real = socket.getaddrinfo
        answers = iter(["127.0.0.1", "127.0.0.1"])  # endpoint check, delivery check

        def getaddrinfo(host, *args, **kwargs):
            if host == "shop.rebind.example":
                rebound = next(answers, "127.0.0.9")  # nobody listens there
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (rebound, port))]
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(outbound, "is_public", lambda address: str(address) == "127.0.0.1")
        cafe, casey = f.merchant(), f.customer(balance_minor=1000)
        endpoint = merchant_services.webhook_endpoint_create(
            merchant_id=cafe.pk, url=f"http://shop.rebind.example:{port}/hooks"
        )
        receiver.secret = endpoint.secret
        with django_capture_on_commit_callbacks(execute=True):
            f.paid_payment(cafe, casey)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == WebhookDelivery.Status.SUCCEEDED, delivery.last_error
        assert [r["verified"] for r in receiver.received] == [True]
        assert next(answers, None) is None  # DNS was asked exactly twice, by the checks
    finally:
        receiver.close()


def test_push_endpoints_must_be_public_https(production):
    ada = f.customer()
    browser = Browser("https://127.0.0.1:8443/push/abc")
    for endpoint in [
        "https://127.0.0.1:8443/push/abc",
        "https://[64:ff9b::a9fe:a9fe]/push",
        "https://192.0.0.8/push",
        "https://localhost:8254/push",
        "http://8.8.8.8/push",
    ]:
        keys = browser.subscription_json()["keys"]
        with pytest.raises(PushSubscriptionInvalid):
            account_services.push_subscribe(
                user_id=ada.pk, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"]
            )


PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.WEBHOOK_ALLOW_PRIVATE_TARGETS, "
    "settings.WEBPUSH_ALLOW_PRIVATE_ENDPOINTS, settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS]))"
)


@pytest.mark.slow
@pytest.mark.parametrize("https", ["false", "true"])
def test_private_targets_are_off_unless_opted_in_even_without_https(tmp_path, https):
    result = subprocess.run(
        [python(), "-c", PROBE],
        cwd=REPO,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings",
            SMILEPAY_LOCAL_DIR=str(tmp_path),
            HTTPS=https,
            # Production settings refuse console messaging; this probe only reads settings.
            ALLOW_CONSOLE_MESSAGES="true",
        ),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "[false, false, false]"
