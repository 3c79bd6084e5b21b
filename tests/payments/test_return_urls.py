"""An online payment's return_url cannot make SmilePay an open redirect: https on a host
the merchant registered (merchant site or admin), nothing else."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from merchants.models import Merchant
from payments.models import Payment
from payments.online import services as online
from tests.payments import factories as f
from tests.payments.api_client import Api
from tests.payments.online_helpers import face_pay_customer

pytestmark = pytest.mark.django_db

REFUSED = [
    "https://evil.example/phish",
    "https://user:pass@shop.example/return",
    "https://shop.example@evil.example/",
    "ftp://shop.example/return",
    "http://shop.example/return",
    "javascript:alert(1)",
    "//evil.example/",
    "https://shop.example.evil.example/",
    "https://shop.example\\@evil.example/",
    "http://127.0.0.1:8254/return",  # loopback, but not registered
]


@pytest.fixture
def api():
    return Api(f.api_key(f.merchant(name="Bean Shop", return_hosts="shop.example")))


def create(api, return_url: str):
    casey = face_pay_customer()
    return api.post(
        "payments",
        {"amount_minor": 500, "customer_phone": casey.phone_e164, "return_url": return_url},
    )


@pytest.mark.parametrize("url", REFUSED)
def test_the_api_refuses_a_return_url_off_the_merchants_hosts(api, url):
    answer = create(api, url)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["param"] == "return_url"
    assert not Payment.objects.exists()


def test_the_api_accepts_https_on_a_registered_host(api):
    answer = create(api, "https://shop.example/return?order=7")
    assert answer.status_code == 201, answer.content


def test_plain_http_is_only_for_a_registered_loopback_host_in_development(settings):
    shop = f.merchant(return_hosts="127.0.0.1")
    api = Api(f.api_key(shop))
    assert create(api, "http://127.0.0.1:8000/shop/return").status_code == 201
    settings.HTTPS = True
    assert create(api, "http://127.0.0.1:8000/shop/return").status_code == 400


def test_a_host_removed_later_no_longer_gets_the_shopper(api):
    payment = Payment.objects.get(pk=create(api, "https://shop.example/return").json()["id"])
    payment.status = Payment.Status.SUCCEEDED
    assert online.return_url_for(payment).startswith("https://shop.example/return?")
    Merchant.objects.filter(pk=payment.merchant_id).update(return_hosts="")
    payment = Payment.objects.select_related("merchant").get(pk=payment.pk)
    payment.status = Payment.Status.SUCCEEDED
    assert online.return_url_for(payment) == ""


def test_a_manager_registers_hosts_on_the_merchant_site(client):
    shop = f.merchant(return_hosts="")
    client.force_login(f.staff(shop, role="manager"))
    page = client.get("/merchant/checkout/")
    assert page.status_code == 200 and "Return hosts" in page.content.decode()
    saved = client.post("/merchant/checkout/", {"return_hosts": "Shop.Example.com\nbücher.de"})
    assert saved.status_code == 302
    shop.refresh_from_db()
    assert shop.return_host_list == ["shop.example.com", "xn--bcher-kva.de"]
    refused = client.post("/merchant/checkout/", {"return_hosts": "https://shop.example.com/x"})
    assert refused.status_code == 200 and "not a host name" in refused.content.decode()


def test_a_cashier_cannot_change_the_hosts(client):
    shop = f.merchant(return_hosts="shop.example")
    client.force_login(f.staff(shop, role="cashier"))
    assert client.post("/merchant/checkout/", {"return_hosts": "evil.example"}).status_code == 403
    shop.refresh_from_db()
    assert shop.return_host_list == ["shop.example"]


def test_the_admin_validates_the_hosts_too():
    shop = f.merchant(return_hosts="shop.example:8443/path")
    with pytest.raises(ValidationError):
        shop.full_clean()
