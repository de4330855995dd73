"""One subscriber's stream: a private cursor over the journal, filtered and batched.

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

from hub.entries import Entry, varint
from hub.journal import Journal

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

    ``match`` None means every event matches (no per-event check).

    ``on_batch(cursor, events, categories)`` is called per batch for metrics.
    Raises journal.RetentionExceeded if the cursor falls behind retention.
    """
    loop = asyncio.get_running_loop()
    cursor = after
    pending: list[bytes] = []
    categories: list[int] = []
    first_pending_at = 0.0
    max_batch = options.max_batch_size

    def cut(last: int) -> bytes:
        data = encode_response(pending, last, journal.head)
        if on_batch is not None:
            on_batch(last, len(pending), categories[:])
        pending.clear()
        categories.clear()
        return data

    while True:
        entries = await journal.read_after(cursor, READ_CHUNK)
        if entries and match is None:
            # Every event matches: take them in slices that fill batches, without a step per event.
            start = 0
            while start < len(entries):
                piece = entries[start:start + max_batch - len(pending)]
                if not pending:
                    first_pending_at = loop.time()
                pending.extend(map(_framed, piece))
                categories.extend(map(_category, piece))
                start += len(piece)
                if len(pending) >= max_batch:
                    yield cut(piece[-1].seq)
            cursor = entries[-1].seq
            continue
        if entries:
            for entry in entries:
                if match(entry.region, entry.school, entry.category, entry.severity, entry.type, entry.device):
                    if not pending:
                        first_pending_at = loop.time()
                    pending.append(entry.framed)
                    categories.append(entry.category)
                    if len(pending) >= max_batch:
                        yield cut(entry.seq)
            cursor = entries[-1].seq
            continue
        # Caught up with the journal.
        if pending:
            remaining = options.max_batch_delay - (loop.time() - first_pending_at)
            if remaining > 0 and await journal.wait_beyond(cursor, remaining):
                continue
            yield cut(cursor)
        elif not await journal.wait_beyond(cursor, options.heartbeat_interval):
            if journal.closed:
                return
            yield cut(cursor)  # heartbeat: an empty batch telling the head and the resume point
