"""Forms that create something are acted on once.

Creating an API key, a webhook endpoint or a kiosk answers with a page that shows a
secret or a pairing code once, so that page is the POST's own answer, not a redirect:
reloading it would send the form again and create a second key. Each such form carries a
random `once` token; a token already acted on is not acted on again.
"""

from __future__ import annotations

import secrets

from django import forms
from django.core.cache import cache
from django.http import HttpRequest

# Long enough for a tab left open over a weekend and reloaded.
REMEMBER_SECONDS = 7 * 24 * 3600


class SentOnceForm(forms.Form):
    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["once"] = secrets.token_urlsafe(16)


def first_time(request: HttpRequest, form: SentOnceForm) -> bool:
    """True the first time this form (its token) is acted on, False on a resend."""
    token = form.cleaned_data.get("once") or ""
    if not token:  # a page from before the token: act, as it always did
        return True
    return cache.add(f"form-once:{request.user.pk}:{token}", 1, timeout=REMEMBER_SECONDS)
