"""Settings of the adversarial stack's processes: production's, with one concession.

Customers in the scenarios confirm online payments with their password, and the
production hasher (PBKDF2, on purpose slow) would make 50 concurrent confirmations a
CPU benchmark on a shared 2-core machine. Everything else is `smilepay.settings` as
deployed: PostgreSQL with the connection pool, Redis, real Celery, uvicorn workers.
"""

from smilepay.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
