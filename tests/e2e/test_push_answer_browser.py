"""The service worker's answer to a tapped notification button, run in Chromium against a
live server: static/portal/sw.js's `answer()` posts the push's token, and the outcome is
what the phone shows. Headless Chromium cannot subscribe to a push service (it runs
incognito), so the worker's code is loaded into a page of the same origin, with
`registration.showNotification` recorded instead of drawn."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAITING_PAYMENT = """
import json
from payments.answer_tokens import answer_token
from tests.payments import factories as f
casey = f.customer(balance_minor=1000)
p = f.matched_payment(f.merchant(name="Corner Café"), casey, amount_minor=450)
print(json.dumps({"id": p.pk, "token": answer_token(payment_id=p.pk, customer_id=casey.pk)}))
"""

RECORD_NOTIFICATIONS = """() => {
  window.__shown = [];
  window.registration = {
    showNotification: (title, options) => {
      window.__shown.push(options.body);
      return Promise.resolve();
    },
  };
}"""


def test_a_tapped_approve_pays_and_the_phone_says_so(smilepay_server):
    live = smilepay_server
    payment = json.loads(live.shell(WAITING_PAYMENT).strip().splitlines()[-1])
    with chromium_browser() as browser:
        page = browser.new_context(base_url=live.url).new_page()  # signed out: no cookie
        page.goto("/accounts/login/")
        page.evaluate(RECORD_NOTIFICATIONS)
        page.add_script_tag(url="/sw.js")  # the worker as the site serves it
        data = {
            "url": f"/me/payments/{payment['id']}/confirm/",
            "answerUrl": f"/me/payments/{payment['id']}/answer/",
            "answerToken": payment["token"],
        }
        page.evaluate("(data) => answer(data, 'approve')", data)
        assert page.evaluate("window.__shown") == ["Approved: you paid $4.50 to Corner Café."]
        # A token that is not this payment's: the answer fails, so the page would open.
        forged = {**data, "answerToken": payment["token"][:-3] + "abc"}
        failed = page.evaluate(
            "(data) => answer(data, 'decline').then(() => 'answered', () => 'refused')", forged
        )
        assert failed == "refused"
    status = live.shell_value(
        "from payments.models import Payment; "
        f"print(Payment.objects.get(pk={payment['id']}).status)"
    )
    assert status == "succeeded"
