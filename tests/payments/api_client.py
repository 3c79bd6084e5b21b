"""A thin merchant API client over Django's test client."""

from __future__ import annotations

import json
import uuid

from django.test import Client


class Api:
    def __init__(self, secret: str, client: Client | None = None) -> None:
        self.client = client or Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1/{path}", params, **self.auth)

    def post(
        self, path: str, body: dict | None = None, *, key: str | None = None, raw: str | None = None
    ):
        headers = dict(self.auth)
        headers["HTTP_IDEMPOTENCY_KEY"] = key if key is not None else uuid.uuid4().hex
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(f"/api/v1/{path}", data, content_type="application/json", **headers)
