"""What the site answers is private: no browser or proxy cache keeps it.

A wallet, a payment list or a face-activity page left in a shared browser's cache can be
read after sign-out with the Back button, and a proxy's cache could serve it to another
user. Django leaves Cache-Control to each view; here every answer whose view set none is
`private, no-store`. Static files keep their long cache: WhiteNoise answers them before
this middleware runs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin


class NoStoreByDefaultMiddleware(MiddlewareMixin):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
