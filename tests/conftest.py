from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services import service_missing
from tests.webpush import PushService


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database the test may flush: TEST_REDIS_URL, checked to answer."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        service_missing("TEST_REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at TEST_REDIS_URL does not answer: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        service_missing("TEST_DATABASE_URL does not point at PostgreSQL")
    return url


@pytest.fixture
def on_postgres(db) -> Iterator[None]:
    """The test's database connection is PostgreSQL (locks and CHECKs behave for real)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("this test needs PostgreSQL: set TEST_DATABASE_URL")
    yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache: one test's failures must not lock the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def stashed_frame_keys(monkeypatch) -> list[str]:
    """The cache key of every burst stashed during the test, in order (smilepay.frames)."""
    from smilepay import frames

    keys: list[str] = []
    real_stash = frames.stash_frames

    def spy(burst):
        keys.append(real_stash(burst))
        return keys[-1]

    monkeypatch.setattr(frames, "stash_frames", spy)
    return keys


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    """The .mo files are built, not committed (docs/i18n.md): compile those older than
    their .po, so that `pytest` alone sees the French pages `make test` would."""
    from smilepay.catalogs import compile_catalogs

    compile_catalogs(only_stale=True)


@pytest.fixture
def push_service(settings):
    """A local push service that decrypts what pywebpush sends (tests/webpush.py); the
    browser tests define their own for servers in other processes."""
    settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS = True
    service = PushService()
    yield service
    service.close()
