"""Reaching the real services from tests: skip on a laptop without them, fail in CI."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_missing(what: str) -> NoReturn:
    """A test needs a service that is not there: fail in CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"{what} (CI=true: integration tests must not skip)", pytrace=False)
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# The caller's services and its own address: a child server has its own (`make test-all`
# exports SITE_URL for `make run`, which would send the demo shop's API calls elsewhere).
CALLERS_OWN = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "DJANGO_SETTINGS_MODULE",
        "SITE_URL",
        "DEMO_SHOP_API_URL",
    }
)


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process of the project, without the caller's service URLs."""
    env = {key: value for key, value in os.environ.items() if key not in CALLERS_OWN}
    env.update(overrides)
    return env


def python() -> str:
    return sys.executable


def run_manage(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python(), "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def uvicorn_server(
    env: dict[str, str],
    log: Path,
    *,
    port: int | None = None,
    workers: int = 1,
    args: tuple[str, ...] = (),
) -> Iterator[int]:
    """`uvicorn smilepay.asgi:application` on `port` (default: a free loopback port);
    yields the port.

    `workers` > 1 runs uvicorn's own worker processes (as in production); `args` adds
    options such as `--lifespan off` (what `make run` uses)."""
    port = port or free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [python(), "-m", "uvicorn", "smilepay.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--workers", str(workers), "--no-server-header", *args],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_until(
                lambda: port_open(port) or process.poll() is not None, timeout=90, what="uvicorn"
            )
            assert process.poll() is None, log.read_text()
            yield port
        finally:
            _stop(process)


@contextlib.contextmanager
def redis_server(log: Path, *, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """A Redis of the test's own, which it may stop (the machine's is shared); yields
    its URL and process. Give the `port` of a stopped one to bring it back."""
    port = port or free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port),
             "--save", "", "--appendonly", "no"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_until(lambda: port_open(port), timeout=30, what="redis-server")
            yield f"redis://127.0.0.1:{port}/0", process
        finally:
            _stop(process)


@contextlib.contextmanager
def celery_worker(
    env: dict[str, str], log: Path, *, queues: str = "default,recognition,webhooks"
) -> Iterator[subprocess.Popen]:
    """A real Celery worker of the project (solo pool) consuming `queues`."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [python(), "-m", "celery", "-A", "smilepay", "worker", "-Q", queues,
             "--pool", "solo", "--without-gossip", "--without-mingle", "-l", "info"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            _stop(process)


def scripts_of(html: str) -> list[str]:
    """The script files a page loads; an inline script shows as an empty name."""
    tags = re.findall(r"<script\b[^>]*>", html)
    return [next(iter(re.findall(r'src="([^"]*)"', tag)), "") for tag in tags]
