"""The language a person reads SmilePay in when no page is open: their SMS, Web Push
texts and e-mails are written in it (docs/i18n.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.utils import translation

from accounts.models import User


def supported_language(code: str | None) -> str:
    """`code` as one of LANGUAGES ("fr-CA" gives "fr"), or "" when SmilePay lacks it."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ""


def language_of(*, user_id: int | None, default: str = "") -> str:
    """The person's stored language, else `default`, else the site's default."""
    stored = ""
    if user_id is not None:
        stored = User.objects.filter(pk=user_id).values_list("language", flat=True).first() or ""
    return supported_language(stored) or supported_language(default) or settings.LANGUAGE_CODE


@contextlib.contextmanager
def in_language_of(*, user_id: int | None, default: str = "") -> Iterator[str]:
    """Translate what is written inside the block for this person, whatever the request's
    (or the worker's, or the kiosk's) active language. `default` serves a person who never
    chose: only the page they are reading themselves may say which (never a kiosk's)."""
    language = language_of(user_id=user_id, default=default)
    with translation.override(language):
        yield language


def user_language_set(*, user_id: int, language: str) -> bool:
    """Remember the language the person chose; False when it is not one SmilePay speaks
    or was already theirs."""
    code = supported_language(language)
    if not code:
        return False
    return bool(User.objects.filter(pk=user_id).exclude(language=code).update(language=code))
