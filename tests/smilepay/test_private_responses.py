"""A page or an API answer is never kept by a browser's or a proxy's cache (the Back
button after sign-out on a shared phone); static files keep their long cache."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import make_customer

pytestmark = pytest.mark.django_db


def test_a_customers_wallet_is_not_kept_by_any_cache(client):
    client.force_login(make_customer("grace@example.com", "+12025550123"))
    wallet = client.get("/me/wallet/")
    assert wallet.status_code == 200
    assert "no-store" in wallet["Cache-Control"] and "private" in wallet["Cache-Control"]


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/payments", "/no-such-page/"])
def test_any_other_answer_is_not_kept_either(client, path):
    assert "no-store" in client.get(path)["Cache-Control"]


def test_a_view_that_chose_its_own_caching_keeps_it(client):
    catalog = client.get("/i18n/js/fr/")
    assert "max-age=3600" in catalog["Cache-Control"]
    assert "no-store" not in catalog["Cache-Control"]


def test_static_files_keep_their_cache(client):
    stylesheet = client.get("/static/css/smilepay.css")
    assert stylesheet.status_code == 200
    assert "no-store" not in stylesheet.get("Cache-Control", "")
