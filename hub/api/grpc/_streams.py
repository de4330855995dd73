"""One subscriber's stream: a private JournalCursor over the journal, filtered and batched.

Each stream reads the journal (in-memory tail, else SQLite) at its own pace, so a slow or stalled
subscriber only falls behind; it never holds up ingestion or other subscribers. Batches are built
from the journal's pre-framed event bytes: the wire form of a `SubscribeResponse` is concatenated,
not re-serialized.
"""
from __future__ import annotations

import asyncio
import dataclasses
import operator
from collections.abc import AsyncIterator, Callable

from hub.journal import Entry, Journal, JournalCursor, varint

READ_CHUNK = 2000
_framed = operator.itemgetter(Entry._fields.index("framed"))
_category = operator.itemgetter(Entry._fields.index("category"))


@dataclasses.dataclass(frozen=True)
class StreamOptions:
    max_batch_size: int = 500
    max_batch_delay: float = 0.005
    heartbeat_interval: float | None = None


def encode_response(framed_events: list[bytes], last_sequence: int, head_sequence: int) -> bytes:
    """Wire bytes of SubscribeResponse{batch: EventBatch{events, last_sequence, head_sequence}}."""
    batch = b"".join(framed_events) + b"\x10" + varint(last_sequence) + b"\x18" + varint(head_sequence)
    return b"\x0a" + varint(len(batch)) + batch


async def stream_batches(
    journal: Journal,
    match: Callable[..., bool] | None,
    after: int,
    options: StreamOptions,
    on_batch: Callable[[int, int, list[int]], None] | None = None,
) -> AsyncIterator[bytes]:
    """Yield encoded responses for every matching event with sequence > ``after``, forever.

    ``match`` None means every event matches (no per-event check). ``on_batch(cursor, events,
    categories)`` is called per batch for metrics. Raises journal.RetentionExceeded if the cursor
    falls behind retention.

    Heartbeats: with ``options.heartbeat_interval`` set, a response goes out at least that often,
    however busy the hub is with events this stream does not select. An empty one (a heartbeat)
    carries the position the stream has scanned to and the journal's head: it tells the
    subscriber where to resume without rescanning, and reveals that the hub journaled events
    (their number), never what or where they were.
    """
    loop = asyncio.get_running_loop()
    cursor = JournalCursor.at(journal, after)
    pending: list[bytes] = []
    categories: list[int] = []
    first_pending_at = 0.0
    max_batch = options.max_batch_size
    heartbeat = options.heartbeat_interval
    last_sent = loop.time()

    def cut(last: int) -> bytes:
        nonlocal last_sent
        last_sent = loop.time()
        data = encode_response(pending, last, journal.head)
        if on_batch is not None:
            on_batch(last, len(pending), categories[:])
        pending.clear()
        categories.clear()
        return data

    while True:
        entries = await cursor.read(READ_CHUNK)
        if entries:
            selected = entries if match is None else [
                entry for entry in entries
                if match(entry.region, entry.school, entry.category, entry.severity, entry.type, entry.device)]
            # Take the selected entries in slices that fill batches, without a step per event.
            start = 0
            while start < len(selected):
                piece = selected[start:start + max_batch - len(pending)]
                if not pending:
                    first_pending_at = loop.time()
                pending.extend(map(_framed, piece))
                categories.extend(map(_category, piece))
                start += len(piece)
                if len(pending) >= max_batch:
                    # The batch ends at its last event; anything scanned after it is read again
                    # by no one, so the next batch's position is the cursor's.
                    yield cut(piece[-1].seq if start < len(selected) else cursor.position)
            if pending:
                if loop.time() - first_pending_at >= options.max_batch_delay:
                    yield cut(cursor.position)  # the journal keeps growing: don't hold a batch for it
            elif heartbeat is not None and loop.time() - last_sent >= heartbeat:
                yield cut(cursor.position)  # busy with events this stream does not select
            continue
        # Caught up with the journal.
        if pending:
            remaining = options.max_batch_delay - (loop.time() - first_pending_at)
            if remaining > 0 and await cursor.wait(remaining):
                continue
            yield cut(cursor.position)
            continue
        wait = None if heartbeat is None else max(0.0, heartbeat - (loop.time() - last_sent))
        if not await cursor.wait(wait):
            if journal.closed:
                return
            yield cut(cursor.position)  # heartbeat: an empty batch telling the head and the resume point
