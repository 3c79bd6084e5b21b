import csv
import html
import io
import re

import pytest

from merchants import services as merchant_services
from merchants.models import ApiKey, Kiosk, KioskPairingCode, MerchantMembership, WebhookEndpoint
from merchants.tokens import hash_token
from payments import services
from payments.models import Payment, WebhookDelivery
from tests.payments import factories as f
from tests.services import scripts_of

pytestmark = pytest.mark.django_db


def test_the_site_needs_a_sign_in_and_a_membership(client):
    assert client.get("/merchant/").status_code == 302
    client.force_login(f.customer())
    assert client.get("/merchant/").status_code == 403


def test_the_dashboard_draws_its_charts_inline(cafe, owner, client):
    casey = f.customer(balance_minor=5000)
    f.paid_payment(cafe, casey, amount_minor=1200)
    services.recognition_attempt_record(
        payment_id=None, kiosk_id=f.kiosk(cafe).pk, outcome="no_match"
    )
    page = client.get("/merchant/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 4
    assert "$12.00" in html
    assert scripts_of(html) == ["/static/js/site.js"]  # the site's forms only: no chart code
    assert "Not recognised</span>" in html  # the outcomes, in words


def test_the_charts_have_readable_labels_and_a_tooltip_for_every_point(cafe, owner, client):
    from payments.merchant import charts

    svg = str(charts.bar_chart([("01 Dec", 1200), ("02 Dec", 0)], title="Volume"))
    width = int(svg.split('viewBox="0 0 ')[1].split(" ")[0])
    font = int(svg.split('font-size="')[1].split('"')[0])
    # Drawn 358 px wide on a 390 px phone: the labels stay above 11 px.
    assert font * 358 / width >= 11
    assert svg.count('class="tip"') == 2 and "01 Dec: 1,200" in svg
    line = str(charts.line_chart([("01 Dec", 0.5), ("02 Dec", None)], title="Rate"))
    assert line.count('class="tip"') == 1 and 'tabindex="0"' in line


def test_payments_list_searches_and_filters(cafe, owner, client):
    casey = f.customer(balance_minor=5000)
    latte = f.paid_payment(cafe, casey, amount_minor=450)
    services.payment_refund(payment_id=latte.pk, amount_minor=50)
    pending = f.kiosk_payment(cafe, amount_minor=777)
    html = client.get("/merchant/payments/", {"status": "created"}).content.decode()
    assert "$7.77" in html and "$4.50" not in html
    html = client.get("/merchant/payments/", {"q": str(latte.pk)}).content.decode()
    assert "$4.50" in html and "$7.77" not in html
    assert client.get(f"/merchant/payments/{pending.pk}/").status_code == 200


def confirm_refund(client, url: str, page) -> None:
    """Press the confirmation page's button: post its hidden fields back."""
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.content.decode()))
    client.post(url, fields)


def test_staff_refund_from_the_payment_page_after_confirming_the_amount(cafe, owner, client):
    casey = f.customer(balance_minor=5000)
    paid = f.paid_payment(cafe, casey, amount_minor=1000)
    url = f"/merchant/payments/{paid.pk}/refund/"
    review = client.post(url, {"amount": "2.50", "reason": "spilled", "expected_refunded_minor": 0})
    assert "Give back <strong>$2.50</strong>" in review.content.decode()
    paid.refresh_from_db()
    assert paid.refunded_minor == 0  # nothing moves before the confirmation
    confirm_refund(client, url, review)
    # The confirmation submitted again (a double click) must not refund twice.
    confirm_refund(client, url, review)
    paid.refresh_from_db()
    assert (paid.refunded_minor, paid.status) == (250, "partially_refunded")
    review = client.post(url, {"amount": "7.50", "expected_refunded_minor": 250})
    assert "everything that remains" in review.content.decode()
    confirm_refund(client, url, review)
    paid.refresh_from_db()
    assert paid.status == "refunded"


@pytest.mark.parametrize(("language", "left"), [("en", "1,234.56"), ("fr", "1\u202f234,56")])
def test_the_refund_amount_starts_at_everything_left_and_reads_back_as_typed(
    cafe, owner, client, language, left
):
    paid = f.paid_payment(cafe, f.customer(balance_minor=500_000), amount_minor=123_456)
    page = client.get(f"/merchant/payments/{paid.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    shown = re.search(r'name="amount" value="([^"]+)"', page.content.decode())[1]
    assert html.unescape(shown) == left
    review = client.post(
        f"/merchant/payments/{paid.pk}/refund/",
        {"amount": html.unescape(shown), "expected_refunded_minor": 0},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert review.status_code == 200 and 'name="amount_minor" value="123456"' in (
        review.content.decode()
    )


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "This field is required."),
        ("0", "Enter an amount above zero."),
        ("abc", "Type the amount as a number, e.g. 12.50."),
        ("1.505", "USD amounts have at most 2 decimals."),
        ("٤٥٠", "Type the amount with the digits 0-9"),
        ("10.01", "At most $10.00 can still be refunded."),
    ],
)
def test_a_refund_amount_that_is_missing_zero_or_not_money_is_refused_in_money(
    cafe, owner, client, typed, error
):
    paid = f.paid_payment(cafe, f.customer(balance_minor=5000), amount_minor=1000)
    url = f"/merchant/payments/{paid.pk}/refund/"
    page = client.post(url, {"amount": typed, "expected_refunded_minor": 0})
    assert page.status_code == 400
    assert error in html.unescape(page.content.decode())
    paid.refresh_from_db()
    assert paid.refunded_minor == 0


def test_a_decimal_comma_is_read_in_the_merchants_currency_not_as_cents(cafe, owner, client):
    paid = f.paid_payment(cafe, f.customer(balance_minor=5000), amount_minor=1000)
    review = client.post(
        f"/merchant/payments/{paid.pk}/refund/", {"amount": "1,50", "expected_refunded_minor": 0}
    )
    assert "Give back <strong>$1.50</strong>" in review.content.decode()


def test_a_yen_merchant_refunds_whole_yen(client):
    tokyo = f.merchant(currency="JPY")
    client.force_login(f.staff(tokyo))
    customer = f.customer(balance_minor=5000, currency="JPY")
    paid = f.paid_payment(tokyo, customer, amount_minor=1200)
    url = f"/merchant/payments/{paid.pk}/refund/"
    assert "¥1,200" in client.get(f"/merchant/payments/{paid.pk}/").content.decode()
    confirm_refund(client, url, client.post(url, {"amount": "500", "expected_refunded_minor": 0}))
    paid.refresh_from_db()
    assert paid.refunded_minor == 500


def test_a_cashier_can_look_but_not_refund_or_manage(cafe, client):
    cashier = f.staff(cafe, role=MerchantMembership.Role.CASHIER)
    client.force_login(cashier)
    paid = f.paid_payment(cafe, f.customer(balance_minor=1000), amount_minor=100)
    assert client.get("/merchant/payments/").status_code == 200
    assert (
        client.post(
            f"/merchant/payments/{paid.pk}/refund/", {"expected_refunded_minor": 0}
        ).status_code
        == 403
    )
    assert client.get("/merchant/api-keys/").status_code == 403
    assert client.get("/merchant/webhooks/").status_code == 403


def test_csv_export_lists_the_filtered_payments(cafe, owner, client):
    casey = f.customer(balance_minor=5000)
    f.paid_payment(cafe, casey, amount_minor=450)
    f.kiosk_payment(cafe, amount_minor=777)
    response = client.get("/merchant/payments/export.csv", {"status": "succeeded"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "id" and len(rows) == 2 and rows[1][6] == "450"


def test_csv_export_writes_no_text_a_spreadsheet_would_run_as_a_formula(cafe, owner, client):
    """A cancel reason comes from any API key holder, a kiosk name from any manager."""
    till = f.kiosk(cafe, name="@SUM(1+1)*cmd|' /C calc'!A0")
    payment = f.kiosk_payment(cafe, kiosk_=till)
    services.payment_cancel(payment_id=payment.pk, reason='=HYPERLINK("http://evil.example")')
    Payment.objects.filter(pk=payment.pk).update(description="\t=1+1")
    response = client.get("/merchant/payments/export.csv")
    (row,) = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert row["reason"] == '\'=HYPERLINK("http://evil.example")'
    assert row["kiosk"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["description"] == "'\t=1+1"


def test_creating_a_kiosk_shows_its_pairing_code_and_qr_at_once(cafe, owner, client):
    page = client.post("/merchant/kiosks/", {"name": "Till 3", "location": "Terrace"})
    assert page.status_code == 200
    html = page.content.decode()
    code = html.split('class="code-big">')[1].split("<")[0]
    kiosk = Kiosk.objects.get(merchant=cafe, name="Till 3")
    assert KioskPairingCode.objects.get(code_hash=hash_token(code)).kiosk == kiosk
    assert "<svg" in html and "Till 3" in html
    assert "no-store" in page["Cache-Control"]


def test_a_kiosk_is_created_paired_with_a_code_and_qr_and_revoked(cafe, owner, client):
    client.post("/merchant/kiosks/", {"name": "Till 2", "location": "Back"})
    kiosk = Kiosk.objects.get(merchant=cafe, name="Till 2")
    page = client.post(f"/merchant/kiosks/{kiosk.pk}/pair/")
    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    code = html.split('class="code-big">')[1].split("<")[0]
    assert KioskPairingCode.objects.get(code_hash=hash_token(code)).kiosk == kiosk
    assert "<svg" in html
    client.post(f"/merchant/kiosks/{kiosk.pk}/revoke/")
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is not None


def test_an_api_key_secret_is_shown_once_and_only_its_hash_is_kept(cafe, owner, client):
    page = client.post("/merchant/api-keys/", {"name": "Shop backend"}).content.decode()
    secret = page.split('class="secret">')[1].split("<")[0]
    key = ApiKey.objects.get(merchant=cafe)
    assert secret.startswith("sk_") and key.key_hash == hash_token(secret)
    assert secret not in client.get("/merchant/api-keys/").content.decode()
    client.post(f"/merchant/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


@pytest.mark.parametrize(
    ("path", "form", "made"),
    [
        ("/merchant/api-keys/", {"name": "Till backend"}, ApiKey),
        ("/merchant/webhooks/", {"url": "https://shop.example/hooks"}, WebhookEndpoint),
        ("/merchant/kiosks/", {"name": "Till 4"}, Kiosk),
    ],
)
def test_reloading_the_page_that_answered_a_creating_form_creates_nothing_more(
    cafe, owner, client, path, form, made, settings
):
    """That page shows a secret or pairing code once, so it answers the POST itself; a
    reload sends the same form again."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # no DNS lookup of shop.example
    token = re.search(r'name="once" value="([^"]+)"', client.get(path).content.decode())[1]
    assert client.post(path, {**form, "once": token}).status_code == 200
    again = client.post(path, {**form, "once": token}, follow=True)
    assert made.objects.filter(merchant=cafe).count() == 1
    assert "already" in again.content.decode()


def test_webhook_endpoints_and_their_deliveries(cafe, owner, client):
    client.post(
        "/merchant/webhooks/",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["payment.succeeded"]},
    )
    endpoint = WebhookEndpoint.objects.get(merchant=cafe)
    assert endpoint.event_types == ["payment.succeeded"]
    f.paid_payment(cafe, f.customer(balance_minor=1000))
    page = client.get(f"/merchant/webhooks/{endpoint.pk}/")
    assert b"payment.succeeded" in page.content


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9)", "could not connect"),
        ("DeadlineExceeded: no full answer within 10 s", "no answer in time"),
        ("HTTP 404", "your endpoint answered 404"),
    ],
)
def test_a_failed_delivery_is_explained_in_words_with_the_details_on_hover(
    cafe, owner, client, error, said
):
    endpoint = WebhookEndpoint.objects.create(merchant=cafe, url="https://shop.example/h")
    WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="payment.succeeded", event_id="evt_1", payload={},
        attempts=1, last_error=error,
    )  # fmt: skip
    page = html.unescape(client.get(f"/merchant/webhooks/{endpoint.pk}/").content.decode())
    assert f'title="{error}">{said}</span>' in page


def test_merchant_a_staff_never_see_merchant_b_data_in_the_admin(cafe, owner, client):
    other = f.merchant(name="Café B")
    casey = f.customer(balance_minor=5000)
    theirs = f.paid_payment(other, casey, amount_minor=321)
    their_kiosk = f.kiosk(other, name="Their till")
    their_endpoint = merchant_services.webhook_endpoint_create(
        merchant_id=other.pk, url="http://127.0.0.1:9/x"
    )
    their_key, _ = merchant_services.api_key_create(merchant_id=other.pk, name="theirs")
    assert "3.21" not in client.get("/merchant/payments/").content.decode()
    assert client.get(f"/merchant/payments/{theirs.pk}/").status_code == 404
    assert (
        client.post(
            f"/merchant/payments/{theirs.pk}/refund/", {"expected_refunded_minor": 0}
        ).status_code
        == 404
    )
    assert "Their till" not in client.get("/merchant/kiosks/").content.decode()
    assert client.post(f"/merchant/kiosks/{their_kiosk.pk}/pair/").status_code == 404
    assert client.post(f"/merchant/kiosks/{their_kiosk.pk}/revoke/").status_code == 404
    assert client.get(f"/merchant/webhooks/{their_endpoint.pk}/").status_code == 404
    assert client.post(f"/merchant/api-keys/{their_key.pk}/revoke/").status_code == 404
    export = b"".join(client.get("/merchant/payments/export.csv").streaming_content).decode()
    assert str(theirs.pk) not in [row.split(",")[0] for row in export.splitlines()[1:]]
    # Choosing the other merchant in the session does not help either.
    client.post("/merchant/switch/", {"merchant_id": other.pk})
    assert client.get(f"/merchant/payments/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    their_kiosk.refresh_from_db()
    assert theirs.refunded_minor == 0 and their_kiosk.revoked_at is None


def test_chart_axes_end_on_round_numbers():
    from payments.merchant.charts import nice_ceiling

    assert [nice_ceiling(v) for v in (0, 3, 7, 12, 230, 1001)] == [4, 4, 10, 20, 250, 2000]


def test_someone_who_staffs_two_merchants_switches_between_them_from_the_header(
    cafe, owner, client
):
    bakery = f.merchant(name="Corner Bakery")
    MerchantMembership.objects.create(merchant=bakery, user=owner, role="manager")
    page = client.get("/merchant/").content.decode()
    assert 'action="/merchant/switch/"' in page and "Corner Bakery" in page
    client.post("/merchant/switch/", {"merchant_id": bakery.pk})
    now = client.get("/merchant/").content.decode()
    assert '<h1 class="merchant-name">Corner Bakery</h1>' in now


def test_one_merchants_staff_see_no_switcher_and_a_cashier_no_api_docs(cafe, client):
    cashier = f.staff(cafe, role="cashier")
    client.force_login(cashier)
    page = client.get("/merchant/").content.decode()
    assert 'action="/merchant/switch/"' not in page and "/api/docs/" not in page


def test_a_line_chart_is_broken_where_a_day_has_nothing_to_measure():
    from payments.merchant.charts import line_chart

    def lines(values):
        svg = line_chart([(str(i), v) for i, v in enumerate(values)], title="Success rate")
        return svg.count("<polyline"), svg.count("<circle")

    assert lines([0.5, 0.8, None, 0.9, 1.0]) == (2, 4)
    assert lines([0.5, None, 0.9]) == (0, 2)  # single days: dots, no line across the gap
    assert lines([0.5, 0.6, 0.7]) == (1, 3)
