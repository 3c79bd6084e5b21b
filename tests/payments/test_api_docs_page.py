"""The API reference renders the schema's Markdown instead of showing it raw."""

from __future__ import annotations

import pytest

from payments.api.markdown import render_markdown


def test_enum_choices_become_a_list_with_code():
    html = render_markdown("* `kiosk` - Kiosk\n* `online` - Online")
    assert (
        html == "<ul><li><code>kiosk</code> - Kiosk</li><li><code>online</code> - Online</li></ul>"
    )


def test_paragraphs_and_bold_are_kept_and_html_is_escaped():
    html = render_markdown("First **line**\nsame paragraph\n\n<script>x</script>")
    assert (
        html
        == "<p>First <strong>line</strong> same paragraph</p><p>&lt;script&gt;x&lt;/script&gt;</p>"
    )


@pytest.mark.django_db
def test_the_docs_page_shows_no_raw_markdown(client):
    page = client.get("/api/docs/").content.decode()
    assert page.count("<li><code>") >= 2
    assert "* `" not in page


@pytest.mark.django_db
def test_the_reference_is_in_english_whoever_asks_first(client):
    """The schema is made once and cached: a French first visitor must not make the
    channel and status names French (half translated) for everyone."""
    from payments.api import docs

    docs.api_schema.cache_clear()
    french = client.get("/api/docs/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<code>online</code> - Online" in french and "En ligne" not in french
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="fr")
    assert "En ligne" not in schema.content.decode()


@pytest.mark.django_db
def test_the_reference_explains_the_webhook_signature_a_new_endpoint_links_to(client):
    page = client.get("/api/docs/").content.decode()
    assert 'id="webhooks"' in page and "SmilePay-Signature" in page and "HMAC-SHA256" in page
