"""Pages every visitor may meet, in Chromium under the site's Content-Security-Policy
(`chromium_browser` fails a test on any refusal): the error page's "Go back", and the
admin's sign-in page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_error_pages_go_back_link_returns_to_the_page_before(smilepay_server):
    with chromium_browser() as browser:
        page = browser.new_context(base_url=smilepay_server.url).new_page()
        page.goto("/accounts/login/")
        page.goto("/no-such-page/")
        page.click("text=Go back")
        page.wait_for_url("**/accounts/login/")


def test_the_admin_sign_in_page_renders_under_the_policy(smilepay_server):
    with chromium_browser() as browser:
        page = browser.new_context(base_url=smilepay_server.url).new_page()
        page.goto("/admin/login/")
        page.wait_for_selector("input[name=username]")
