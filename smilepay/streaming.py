"""Streamed responses that really stream under the ASGI server.

Django's ASGI handler cannot send a synchronous iterator piece by piece: it reads it to
the end first (and warns), so a large CSV export would sit in memory and the download
would start only when the last row is written. Under ASGI the rows are therefore handed
over as an asynchronous iterator, pulled in batches from the same synchronous generator
on the request's own thread (where its database connection and cursor live)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

BATCH = 500


def for_the_server(
    request: HttpRequest, chunks: Iterator[str], *, batch: int | None = None
) -> Iterable[str] | AsyncIterator[str]:
    """`chunks` as the server answering `request` can stream them, `batch` (BATCH) at a time."""
    if not isinstance(request, ASGIRequest):
        return chunks
    size = batch or BATCH
    take = sync_to_async(lambda: list(itertools.islice(chunks, size)), thread_sensitive=True)

    async def batches() -> AsyncIterator[str]:
        while part := await take():
            yield "".join(part)

    return batches()
