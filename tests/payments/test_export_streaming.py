"""The CSV export under the ASGI handler (the production server's): handed over as an
asynchronous stream in batches, not read whole into memory before the first byte."""

import csv
import io
import warnings

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from smilepay import streaming
from tests.payments import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_under_asgi_the_export_streams_in_batches_without_reading_it_whole(monkeypatch):
    monkeypatch.setattr(streaming, "BATCH", 2)
    cafe = f.merchant(name="Café A")
    owner = f.staff(cafe)
    for cents in (101, 202, 303, 404, 505):
        f.kiosk_payment(cafe, amount_minor=cents)

    async def export():
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get("/merchant/payments/export.csv")
        return response, [chunk async for chunk in response.streaming_content]

    with warnings.catch_warnings():
        # Django warns when it must read a stream whole before sending it.
        warnings.filterwarnings("error", message="StreamingHttpResponse must consume")
        response, chunks = async_to_sync(export)()
    assert response.is_async
    assert len(chunks) == 3  # header + 5 rows, two lines a batch
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert sorted(row[6] for row in rows[1:]) == ["101", "202", "303", "404", "505"]
