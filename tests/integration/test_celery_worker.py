import subprocess

import pytest
from celery import Celery

from tests.services import REPO, clean_env, python

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(redis_url, tmp_path):
    process = subprocess.Popen(
        [
            python(),
            "-m",
            "celery",
            "-A",
            "smilepay",
            "worker",
            "-Q",
            "default",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=REPO,
        env=clean_env(REDIS_URL=redis_url, SMILEPAY_LOCAL_DIR=str(tmp_path)),
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "wb"),  # noqa: SIM115 - the worker writes it
    )
    process.log_path = tmp_path / "worker.log"
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_task_round_trips_through_a_real_worker_on_redis(worker, redis_url):
    client = Celery(broker=redis_url, backend=redis_url)
    result = client.send_task("smilepay.ping", args=["hello from the test"], queue="default")
    try:
        assert result.get(timeout=90) == "hello from the test"
    except Exception as exc:
        raise AssertionError(f"no answer from the worker:\n{worker.log_path.read_text()}") from exc
    assert worker.poll() is None, "the worker died"
