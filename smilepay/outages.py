"""When a service the site needs is down, clients hear 503 and "try again", not 500.

Redis (the cache, rate limits, the channel layer, the broker) refusing connections, or
PostgreSQL gone, is no bug of the request: it is answered 503 with Retry-After, in
words for people and as the usual error object for JSON clients
(``error_views.service_unavailable``; from views by ``outage_middleware``, from the
rest by handler500). Logged with the driver's message, never with the request's data.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGES = (RedisConnectionError, RedisTimeoutError, OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGES)


def log_outage(exc: BaseException) -> None:
    # The driver's own words say which service and why ("Connection refused", "no such
    # table"); an outage error carries no request data, and it is cut short all the same.
    logger.error("a service is down: %s: %.200s", type(exc).__name__, exc)
