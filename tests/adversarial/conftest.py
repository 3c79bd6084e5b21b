"""The adversarial suite: SmilePay as deployed, attacked over HTTP, invariants checked.

Every test here is in the integration tier (marked `integration` automatically) and
uses `stack`: ONE production-like deployment shared by every test in this folder
(package scope: it stops, and its Redis database is flushed, before other folders'
tests run, so its workers never take their tasks), so put your own merchant and
customers in each test (never rely on an empty database) and leave the stack running
(no kill without a restart, see below).

What `stack` is
---------------
* its own PostgreSQL database `<TEST_DATABASE_URL's name>_adv_<random>` (migrated,
  dropped at the end), reached through psycopg's pool as in production
  (`DATABASE_POOL_MAX_SIZE` = `stack.pool_size` per process);
* Redis at TEST_REDIS_URL (flushed at start): Celery broker and results, the Channels
  layer, the cache;
* `uvicorn smilepay.asgi:application --workers 2` on a loopback port;
* two real Celery workers (`default` queue; `recognition` queue) and Celery beat;
* settings `tests.adversarial.stack_settings`: production's, except a fast password
  hasher (see that module).

How to use it
-------------
* Base URL: `stack.base_url` (http://127.0.0.1:PORT), websockets at `stack.ws_url`.
* A merchant with an API key, a paired kiosk (and optionally a webhook endpoint):
  `cafe = stack.merchant(webhook_url=...)` -> dict with `id`, `api_key`, `kiosk_id`,
  `kiosk_token` (the kiosk's device cookie), `webhook_secret`.
* Customers with money: `stack.customer(balance_minor=3000, daily_limit_minor=...)` ->
  dict with `id`, `email`, `password`, `session` (a signed-in session cookie). Several
  at once, and anything else the services can make: `stack.build("world.fn(...)", ...)`
  runs `tests/adversarial/world.py` builders inside the stack (`manage.py shell`).
* HTTP that is counted in the suite's figures: `stack.api(cafe)` (merchant API:
  `.post(path, body, key=...)`, `.get(path)`), `stack.kiosk(cafe)` (kiosk JSON API with
  its device cookie and CSRF), `stack.portal(customer)` (a signed-in customer's browser:
  `.post(path, form)`), or `stack.session()` for a bare counted `requests.Session`.
* Many requests at once: `stack.concurrently(n, fn)` runs `fn(i)` in n threads released
  together by a barrier and returns the results (exceptions included, never raised).
* The database: `stack.sql("select ...", params)` -> rows (a monitoring connection of
  its own, excluded from connection counts); `stack.db_connections()` counts the
  stack's connections now (by database name).
* Money invariants: `stack.money_violations()` -> list of broken invariants (every
  ledger transaction sums to zero, no wallet below zero or below its holds, cached
  balances equal their entries, holds equal open payments' holds, captured and refunded
  amounts consistent with each payment's status). An autouse fixture checks them after
  every test of this folder.
* Faults: `stack.kill_worker("recognition")` (kill -9) and
  `stack.restart_worker("recognition")`; `stack.second_server(**env)` starts another
  uvicorn on the same database with other variables (e.g. REDIS_URL at a closed port).
* Celery tasks by name on the real worker: `stack.run_task("payments.tasks....")`.

The figures (requests sent, concurrent rounds, 5xx answers, money violations, peak
database connections under the 100-request burst) are printed at the end of the run
and written to `<tmp>/adversarial-figures.json`:

    CI=true TEST_DATABASE_URL=... TEST_REDIS_URL=... .venv/bin/pytest -q tests/adversarial
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.services import (
    REPO,
    celery_worker,
    clean_env,
    python,
    run_manage,
    uvicorn_server,
    wait_until,
)

# The workers of the stack, by the name tests kill and restart them by: webhook
# deliveries have a queue of their own, served here by the default worker.
QUEUES = {"default": "default,webhooks", "recognition": "recognition"}

POOL_SIZE = 4
UVICORN_WORKERS = 2
CSRF = "adversarialcsrftoken" + "0" * 44  # a well-formed token the client chooses
MONITOR = "adversarial-monitor"


@dataclass
class Figures:
    requests: int = 0
    server_errors: int = 0
    concurrent_rounds: int = 0
    money_violations: int = 0
    peak_db_connections: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict:
        return {
            "requests_sent": self.requests,
            "concurrent_rounds": self.concurrent_rounds,
            "server_errors_5xx": self.server_errors,
            "money_violations": self.money_violations,
            "peak_db_connections_100_burst": self.peak_db_connections,
            "db_pool_per_process": POOL_SIZE,
            "uvicorn_workers": UVICORN_WORKERS,
        }


FIGURES = Figures()


class CountedSession(requests.Session):
    """A requests.Session whose every answer is counted (and every 5xx noted)."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        response = super().request(*args, **kwargs)
        with FIGURES.lock:
            FIGURES.requests += 1
            if response.status_code >= 500:
                FIGURES.server_errors += 1
        return response


class MerchantApi:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base = f"{base_url}/api/v1/"
        self.http = CountedSession()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def post(self, path: str, body: dict | None = None, *, key: str | None = None):
        return self.http.post(
            self.base + path, json=body or {}, headers={"Idempotency-Key": key or uuid4()}
        )

    def get(self, path: str, **params):
        return self.http.get(self.base + path, params=params)


class Browser:
    """A cookie-carrying client (kiosk device or signed-in customer) with CSRF set up."""

    def __init__(self, base_url: str, cookies: dict[str, str]) -> None:
        self.base = base_url
        self.http = CountedSession()
        for name, value in {**cookies, "csrftoken": CSRF}.items():
            self.http.cookies.set(name, value, domain="127.0.0.1", path="/")
        self.http.headers["X-CSRFToken"] = CSRF

    def post(self, path: str, form: dict | None = None, *, json_body: dict | None = None):
        if json_body is not None:
            return self.http.post(self.base + path, json=json_body)
        return self.http.post(self.base + path, data=form or {})

    def get(self, path: str):
        return self.http.get(self.base + path)


def uuid4() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class SecondServer:
    url: str
    log_path: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Stack:
    base_url: str
    port: int
    db_url: str
    db_name: str
    redis_url: str
    env: dict[str, str]
    tmp: Path
    workers: dict[str, subprocess.Popen]
    worker_stack: contextlib.ExitStack
    pool_size: int = POOL_SIZE
    _monitor: Any = None

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")

    # --- building data inside the stack -------------------------------------------------
    def build(self, *calls: str) -> list:
        """Run `world.<builder>(...)` expressions in the stack; their results, in order."""
        code = f"from tests.adversarial import world\nworld.emit([{', '.join(calls)}])\n"
        result = run_manage("shell", "-v", "0", "-c", code, env=self.env, timeout=180)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def merchant(self, **kwargs) -> dict:
        return self.build(f"world.merchant(**{kwargs!r})")[0]

    def customer(self, **kwargs) -> dict:
        return self.build(f"world.customer(**{kwargs!r})")[0]

    # --- clients ------------------------------------------------------------------------
    def api(self, merchant: dict, *, base_url: str | None = None) -> MerchantApi:
        return MerchantApi(base_url or self.base_url, merchant["api_key"])

    def kiosk(self, merchant: dict) -> Browser:
        return Browser(self.base_url, {"smilepay_kiosk": merchant["kiosk_token"]})

    def portal(self, customer: dict) -> Browser:
        return Browser(self.base_url, {"sessionid": customer["session"]})

    def session(self) -> CountedSession:
        return CountedSession()

    def concurrently(self, count: int, fn: Callable[[int], Any]) -> list:
        barrier = threading.Barrier(count)
        results: list[Any] = [None] * count

        def run(index: int) -> None:
            try:
                barrier.wait(timeout=60)
                results[index] = fn(index)
            except BaseException as exc:  # returned for the test to judge
                results[index] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        with FIGURES.lock:
            FIGURES.concurrent_rounds += 1
        return results

    # --- the database -------------------------------------------------------------------
    def sql(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        import psycopg

        with self._lock:
            if self._monitor is None or self._monitor.closed:
                self._monitor = psycopg.connect(
                    self.db_url, autocommit=True, application_name=MONITOR
                )
            return self._monitor.execute(query, params).fetchall()

    def db_connections(self) -> int:
        rows = self.sql(
            "select count(*) from pg_stat_activity where datname = %s and application_name <> %s",
            (self.db_name, MONITOR),
        )
        return rows[0][0]

    def money_violations(self) -> list[str]:
        found = []
        for name, query in MONEY_INVARIANTS.items():
            rows = self.sql(query)
            if rows:
                found.append(f"{name}: {rows[:5]}")
        return found

    # --- processes ----------------------------------------------------------------------
    def run_task(self, name: str, *args, timeout: float = 120) -> Any:
        from celery import Celery

        client = Celery(broker=self.redis_url, backend=self.redis_url)
        try:
            return client.send_task(name, args=args, queue="default").get(timeout=timeout)
        finally:
            client.close()

    def kill_worker(self, queue: str) -> None:
        os.kill(self.workers[queue].pid, signal.SIGKILL)
        self.workers[queue].wait(timeout=30)

    def restart_worker(self, queue: str) -> None:
        self.workers[queue] = self.worker_stack.enter_context(
            celery_worker(self.env, self.tmp / f"worker-{queue}-again.log", queues=QUEUES[queue])
        )

    @contextlib.contextmanager
    def second_server(self, **env: str) -> Iterator[SecondServer]:
        """Another uvicorn (1 worker) on the same database, with `env` overriding."""
        log = self.tmp / f"second-{uuid4()[:6]}.log"
        with uvicorn_server({**self.env, **env}, log) as port:
            yield SecondServer(url=f"http://127.0.0.1:{port}", log_path=log)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()


_CUSTOMER_HELD = """
    select a.id, a.held_minor, coalesce(sum(p.held_minor), 0)
    from payments_ledgeraccount a
    left join payments_payment p on p.customer_id = a.user_id and p.currency = a.currency
        and p.status = 'awaiting_confirmation'
    where a.kind = 'customer'
    group by a.id having a.held_minor <> coalesce(sum(p.held_minor), 0)
"""
MONEY_INVARIANTS = {
    "a ledger transaction does not sum to zero": """
        select transaction_id, sum(amount_minor) from payments_ledgerentry
        group by transaction_id having sum(amount_minor) <> 0""",
    "all entries together do not sum to zero": """
        select sum(amount_minor) from payments_ledgerentry having sum(amount_minor) <> 0""",
    "a wallet is below zero or below its holds": """
        select id, balance_minor, held_minor from payments_ledgeraccount
        where kind = 'customer' and (balance_minor < 0 or held_minor < 0
                                     or balance_minor < held_minor)""",
    "a cached balance differs from its entries": """
        select a.id, a.balance_minor, coalesce(sum(e.amount_minor), 0)
        from payments_ledgeraccount a left join payments_ledgerentry e on e.account_id = a.id
        group by a.id having a.balance_minor <> coalesce(sum(e.amount_minor), 0)""",
    "a wallet's holds differ from its open payments' holds": _CUSTOMER_HELD,
    "a payment holds money outside awaiting_confirmation": """
        select id, status, held_minor from payments_payment
        where held_minor <> 0 and status <> 'awaiting_confirmation'""",
    "captures do not match the payment's status and amount": """
        select p.id, p.status, p.amount_minor, count(t.id), coalesce(sum(e.amount_minor), 0)
        from payments_payment p
        left join payments_ledgertransaction t on t.payment_id = p.id and t.kind = 'capture'
        left join payments_ledgerentry e on e.transaction_id = t.id and e.amount_minor > 0
        group by p.id
        having (p.status in ('succeeded', 'partially_refunded', 'refunded'))
               <> (count(t.id) = 1)
            or (count(t.id) = 1 and coalesce(sum(e.amount_minor), 0) <> p.amount_minor)""",
    "refunds do not match the payment's refunded amount and status": """
        select p.id, p.status, p.amount_minor, p.refunded_minor,
               coalesce((select sum(r.amount_minor) from payments_refund r
                         where r.payment_id = p.id), 0) as refunds,
               coalesce((select sum(e.amount_minor) from payments_ledgertransaction t
                         join payments_ledgerentry e on e.transaction_id = t.id
                         where t.payment_id = p.id and t.kind = 'refund'
                           and e.amount_minor > 0), 0) as ledger
        from payments_payment p
        where p.refunded_minor <> coalesce((select sum(r.amount_minor) from payments_refund r
                                            where r.payment_id = p.id), 0)
           or p.refunded_minor <> coalesce((select sum(e.amount_minor)
                                            from payments_ledgertransaction t
                                            join payments_ledgerentry e
                                              on e.transaction_id = t.id
                                            where t.payment_id = p.id and t.kind = 'refund'
                                              and e.amount_minor > 0), 0)
           or p.refunded_minor > p.amount_minor
           or (p.status = 'refunded') <> (p.refunded_minor = p.amount_minor
                                          and p.refunded_minor > 0)
           or (p.status = 'partially_refunded')
              <> (p.refunded_minor > 0 and p.refunded_minor < p.amount_minor)""",
}


def _maintenance_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"


@contextlib.contextmanager
def _own_database(test_url: str) -> Iterator[tuple[str, str]]:
    import psycopg

    base = test_url.rsplit("/", 1)[1].split("?")[0] or "smilepay"
    name = f"{base}_adv_{uuid4()[:8]}"
    with psycopg.connect(_maintenance_url(test_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield test_url.rsplit("/", 1)[0] + "/" + name, name
    finally:
        with psycopg.connect(_maintenance_url(test_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="package")
def stack(postgres_url, redis_url, tmp_path_factory) -> Iterator[Stack]:
    """The production-like deployment every adversarial test attacks (module docstring)."""
    import redis

    broker = redis.Redis.from_url(redis_url)
    broker.flushdb()
    tmp = tmp_path_factory.mktemp("adversarial")
    with contextlib.ExitStack() as teardown:
        # Last out: what beat and the servers left in Redis must not reach later tests.
        teardown.callback(broker.flushdb)
        yield teardown.enter_context(_running_stack(postgres_url, redis_url, tmp))


@contextlib.contextmanager
def _running_stack(postgres_url: str, redis_url: str, tmp: Path) -> Iterator[Stack]:
    with _own_database(postgres_url) as (db_url, db_name), contextlib.ExitStack() as workers:
        env = clean_env(
            DJANGO_SETTINGS_MODULE="tests.adversarial.stack_settings",
            DATABASE_URL=db_url,
            REDIS_URL=redis_url,
            DATABASE_POOL_MAX_SIZE=str(POOL_SIZE),
            SMILEPAY_LOCAL_DIR=str(tmp / "local"),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
            # Faults are found within seconds here, not within a minute.
            PAYMENT_MATCHING_TIMEOUT_SECONDS="6",
            WEBHOOK_SWEEP_GRACE_SECONDS="1",
            # The scenarios' webhook receivers listen on loopback: the explicit opt-in.
            WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        )
        migrated = run_manage("migrate", "--noinput", env=env, timeout=300)
        assert migrated.returncode == 0, migrated.stderr
        started = {
            queue: workers.enter_context(
                celery_worker(env, tmp / f"worker-{queue}.log", queues=QUEUES[queue])
            )
            for queue in QUEUES
        }
        beat = workers.enter_context(_celery_beat(env, tmp))
        with uvicorn_server(env, tmp / "uvicorn.log", workers=UVICORN_WORKERS) as port:
            built = Stack(
                base_url=f"http://127.0.0.1:{port}",
                port=port,
                db_url=db_url,
                db_name=db_name,
                redis_url=redis_url,
                env=env,
                tmp=tmp,
                workers=started,
                worker_stack=workers,
            )
            wait_until(_answers(built.base_url), timeout=120, what="both uvicorn workers")
            assert built.run_task("smilepay.ping", "up") == "up"
            try:
                yield built
            finally:
                if built._monitor is not None:
                    built._monitor.close()
                (tmp / "adversarial-figures.json").write_text(json.dumps(FIGURES.as_dict()))
        assert beat.poll() is None, (tmp / "beat.log").read_text()


def _answers(base_url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(base_url + "/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    return check


@contextlib.contextmanager
def _celery_beat(env: dict[str, str], tmp: Path) -> Iterator[subprocess.Popen]:
    with open(tmp / "beat.log", "wb") as out:
        process = subprocess.Popen(
            [python(), "-m", "celery", "-A", "smilepay", "beat",
             "-s", str(tmp / "beat-schedule"), "-l", "info"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(autouse=True)
def money_invariants_hold(request) -> Iterator[None]:
    """After every scenario: the money invariants, on the whole stack database."""
    yield
    if "stack" not in request.fixturenames:
        return
    stack = request.getfixturevalue("stack")
    if not isinstance(stack, Stack):  # the access and fuzz files bring stacks of their own
        return
    violations = stack.money_violations()
    FIGURES.money_violations += len(violations)
    assert violations == [], violations


def pytest_collection_modifyitems(items) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES.requests:
        return
    figures = FIGURES.as_dict()
    terminalreporter.write_sep("-", "adversarial figures")
    for name, value in figures.items():
        terminalreporter.write_line(f"{name}: {value}")
