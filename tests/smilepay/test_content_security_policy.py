"""Pages run the site's own script files only: an injected <script> or onclick does not
run, no other site may frame a page, and only this site's pages may ask for the camera.

The browser tests (tests/e2e) check the other half: a page whose own script or style the
policy refuses fails them (`chromium_browser` collects Chromium's refusals)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.services import REPO

pytestmark = pytest.mark.django_db

INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "a style element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "a javascript: link": re.compile(r"javascript:", re.I),
}


def directives(header: str) -> dict[str, set[str]]:
    parsed = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in parsed}


def test_a_page_forbids_inline_script_and_style_and_framing(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    policy = directives(page.headers["Content-Security-Policy"])
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["default-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}


def test_only_the_sites_own_pages_may_use_the_camera(client):
    features = client.get("/accounts/login/").headers["Permissions-Policy"]
    assert "camera=(self)" in features
    assert "microphone=()" in features and "geolocation=()" in features


def test_a_json_answer_carries_the_policy_too(client):
    # A JSON body a browser is tricked into rendering still runs nothing.
    answer = client.get("/api/v1/payments")
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def templates() -> list[Path]:
    found = [
        path
        for path in REPO.rglob("*.html")
        if "templates" in path.parts and ".venv" not in path.parts
    ]
    assert len(found) > 30, "the template walk found too little"
    return found


@pytest.mark.parametrize("kind", INLINE)
def test_no_template_holds_inline_script_or_style(kind):
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0)!r}"
        for path in templates()
        for match in INLINE[kind].finditer(path.read_text())
    ]
    assert offenders == [], f"{kind}, which the Content-Security-Policy refuses: {offenders}"
