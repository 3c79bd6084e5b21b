"""Merchant API throughput: payments created per second through POST /api/v1/payments.

Every request goes through the whole stack in-process (middleware, API-key auth, the
Idempotency-Key record, validation, the payment service and its audit event) against a
real PostgreSQL database; threads play concurrent merchant backends.

    createdb -h 127.0.0.1 -U postgres helper_payments   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_payments \\
        .venv/bin/python benchmarks/api_throughput.py --seconds 15 --threads 4

It migrates the database, creates a "bench" merchant with a kiosk and an API key, and
prints the figure. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smilepay.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from merchants import services as merchant_services
    from merchants.models import Kiosk, Merchant

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the docstring)")
    call_command("migrate", verbosity=0)
    merchant, _ = Merchant.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    kiosk, _ = Kiosk.objects.get_or_create(merchant=merchant, name="Bench kiosk")
    _, secret = merchant_services.api_key_create(merchant_id=merchant.pk, name="benchmark")
    body = json.dumps({"amount_minor": 450, "kiosk_id": kiosk.pk, "description": "bench"})

    counts = [0] * args.threads
    failures = [0] * args.threads
    stop = time.monotonic() + args.seconds
    start_line = threading.Barrier(args.threads + 1)

    def backend(index: int) -> None:
        client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
        start_line.wait()
        try:
            while time.monotonic() < stop:
                response = client.post(
                    "/api/v1/payments",
                    body,
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
                )
                if response.status_code == 201:
                    counts[index] += 1
                else:
                    failures[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=backend, args=(i,)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    start_line.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    created = sum(counts)
    print(
        f"{created / elapsed:.1f} payments created per second "
        f"({created} in {elapsed:.1f}s, {args.threads} threads, {sum(failures)} failures, "
        f"PostgreSQL {connection.pg_version // 10000})"
    )


if __name__ == "__main__":
    main()
