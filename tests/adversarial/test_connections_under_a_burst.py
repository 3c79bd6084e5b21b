"""A burst of concurrent requests at uvicorn (2 workers) never opens more database
connections than the pools allow, so it cannot take the database server down."""

import threading

from tests.adversarial.conftest import FIGURES, UVICORN_WORKERS

BURST = 100


def test_100_concurrent_posts_keep_the_database_connections_bounded(stack):
    cafe = stack.merchant()
    api = [stack.api(cafe) for _ in range(BURST)]
    peak, done = [stack.db_connections()], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(stack.db_connections())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        answers = stack.concurrently(
            BURST,
            lambda i: api[i].post(
                "payments", {"amount_minor": 100 + i, "kiosk_id": cafe["kiosk_id"]}
            ),
        )
    finally:
        done.set()
        sampler.join(timeout=30)
    assert [getattr(a, "status_code", a) for a in answers] == [201] * BURST
    # Each uvicorn worker's pool, plus one connection per Celery worker (solo pool).
    bound = UVICORN_WORKERS * stack.pool_size + 2 * stack.pool_size
    FIGURES.peak_db_connections = max(peak)
    assert max(peak) <= bound, f"peak {max(peak)} > {bound}"
    assert stack.db_connections() <= bound
