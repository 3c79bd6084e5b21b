import pytest
from celery import Celery

from tests.services import celery_worker, clean_env

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(redis_url, tmp_path):
    env = clean_env(REDIS_URL=redis_url, SMILEPAY_LOCAL_DIR=str(tmp_path))
    with celery_worker(env, tmp_path / "worker.log", queues="default") as process:
        process.log_path = tmp_path / "worker.log"
        yield process


def test_a_task_round_trips_through_a_real_worker_on_redis(worker, redis_url):
    client = Celery(broker=redis_url, backend=redis_url)
    result = client.send_task("smilepay.ping", args=["hello from the test"], queue="default")
    try:
        assert result.get(timeout=90) == "hello from the test"
    except Exception as exc:
        raise AssertionError(f"no answer from the worker:\n{worker.log_path.read_text()}") from exc
    assert worker.poll() is None, "the worker died"
