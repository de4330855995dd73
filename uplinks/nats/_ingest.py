"""At a county, city or province hub: journaling the events of the hubs below.

One durable pull consumer per lane (``<durable>-alarm``, ``<durable>-event``) on the region's
subjects, each in its own task, so an alarm is never behind a backlog of routine events. A
message is journaled here with its origin (``origin_hub_id``, ``origin_sequence``) and the
messages are acknowledged (each explicitly, the last confirmed by the server) only once the whole
batch is durable. At most one batch is unacknowledged (``max_ack_pending`` = the batch), so a
redelivery comes before anything newer and each origin stays in order. A redelivery is recognised
by its origin (hub id, origin sequence) among the last ``_SEEN_KEPT`` journaled here (rebuilt
from the journal at start, back from the head and at least back to the lane's checkpoint cursor
``uplink:<instance>:ingest-<lane>``, committed once a batch is acknowledged), and dropped.

Bad messages (undecodable, outside the region, an origin not configured, headers that disagree
with the event) are refused: logged (rate-limited), counted and terminated (``term``: never
redelivered), so a poison message cannot stall the consumer; it stays in the stream to be looked
at (``nats stream get``).
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import time

import nats.errors
import nats.js.errors
import structlog

from google.protobuf.message import DecodeError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from hub.events import Event
from hub.journal import JournalCursor
from hub.spi import raise_if_cancelling
from uplinks.nats._publisher import ORIGIN_HEADER, ORIGIN_SEQUENCE_HEADER
from uplinks.nats._subjects import lane_of, region_filter, region_of_subject

__all__ = ["Ingester", "Refused"]

_SCAN_BATCH = 2000
#: (origin, origin sequence) pairs remembered for recognising redeliveries: far more than can be
#: unacknowledged (one batch) plus what a previous run journaled without acknowledging, and than
#: a server killed with SIGKILL forgets of its confirmed acknowledgements (a second or two of ingest).
_SEEN_KEPT = 200_000
_LOG_EVERY = 10.0


class Refused(Exception):
    """A message that is not journaled; ``reason`` is the counter label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class Ingester:
    def __init__(self, js, journal, forward, *, instance: str, prefix: str, lane: str, stream: str,
                 region_prefix: str, origins, durable: str, batch: int, ack_wait: float, metrics,
                 log=None) -> None:
        self.js = js
        self.journal = journal
        self.forward = forward
        self.prefix = prefix
        self.lane = lane
        self.stream = stream
        self.region_prefix = region_prefix
        self.origins = frozenset(origins)
        self.durable = f"{durable}-{lane}"
        self.batch = batch
        self.ack_wait = ack_wait
        self.metrics = metrics
        self.log = log or structlog.get_logger("uplink")
        self.checkpoint_name = f"uplink:{instance}:ingest-{lane}"
        #: origin hub id -> highest origin sequence journaled here (this lane).
        self.marks: dict[str, int] = {}
        #: (origin, origin sequence) journaled recently -> digest of the message (None: journaled
        #: by an earlier run, content not kept).
        self._seen: collections.OrderedDict[tuple[str, int], bytes | None] = collections.OrderedDict()
        self._last_logged: dict[str, float] = {}
        self.ingested = 0

    async def rebuild_marks(self) -> JournalCursor:
        """The marks from the journal's newest entries: those after the checkpoint (journaled,
        maybe never acknowledged) and as many before it as a running ingester remembers, since a
        nats-server killed with SIGKILL can forget acknowledgements it had confirmed (its consumer
        state is written behind) and redeliver what was checkpointed here."""
        checkpoint = await JournalCursor.named(self.journal, self.checkpoint_name, create_at=self.journal.head)
        start = min(checkpoint.position, self.journal.head - _SEEN_KEPT)
        reader = JournalCursor.at(self.journal, max(start, self.journal.earliest - 1))
        while entries := await reader.read(_SCAN_BATCH):
            for entry in entries:
                if lane_of(entry.category) != self.lane:
                    continue
                event = entry.event()
                if event.origin_hub_id:
                    self._mark(event.origin_hub_id, event.origin_sequence, None)  # (content as journaled here)
        return checkpoint

    async def run(self) -> None:
        checkpoint = await self.rebuild_marks()
        subscription = await self.js.pull_subscribe(
            region_filter(self.prefix, self.lane, self.region_prefix), durable=self.durable, stream=self.stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                                  ack_wait=self.ack_wait, max_ack_pending=self.batch, max_deliver=-1))
        self.log.info("ingesting", lane=self.lane, consumer=self.durable, region=self.region_prefix or "all",
                      origins=sorted(self.origins), known_origins=len(self.marks))
        while True:
            raise_if_cancelling()
            try:
                messages = await subscription.fetch(self.batch, timeout=1.0)
            except (asyncio.TimeoutError, nats.errors.TimeoutError):
                continue
            except (nats.errors.Error, nats.js.errors.Error, OSError) as exc:
                self._warn("fetch", "fetching from JetStream failed; retrying", error=f"{type(exc).__name__}: {exc}")
                self.metrics.count("uplink_fetch_failures", lane=self.lane)
                await asyncio.sleep(0.5)
                continue
            if not messages:
                continue
            try:
                raise_if_cancelling()  # (a stop the fetch swallowed: nak what it brought)
                journaled = [future for message in messages if (future := await self._take(message)) is not None]
                sequences = await asyncio.gather(*journaled)
                to_ack = [message for message in messages if not message.is_acked]  # (refused ones were terminated)
                for message in to_ack[:-1]:
                    await message.ack()
                if to_ack:
                    await to_ack[-1].ack_sync(timeout=max(2.0, self.ack_wait / 2))
            except asyncio.CancelledError:
                # Stopping mid-batch: have them redelivered now rather than after ack_wait
                # (what was journaled is recognised by its origin and dropped).
                await _nak_all(messages)
                raise
            if sequences:
                await checkpoint.commit(max(sequences))
            self.ingested += len(sequences)
            self.metrics.count("uplink_ingested", len(sequences), lane=self.lane)

    async def _take(self, message) -> asyncio.Future[int] | None:
        """The journal future of a message to journal; None if it is refused or a duplicate."""
        try:
            origin, sequence, event = self._check(message)
        except Refused as refused:
            self.metrics.count("uplink_refused", reason=refused.reason, lane=self.lane)
            self._warn(refused.reason, "message refused; skipped and acknowledged (it stays in the stream)",
                       reason=refused.reason, detail=str(refused), subject=message.subject[:200],
                       stream_sequence=_stream_sequence(message))
            await message.term()
            return None
        key = (origin, sequence)
        if key in self._seen:
            known = self._seen[key]
            if known is not None and known != _digest(message.data):
                self.metrics.count("uplink_refused", reason="conflicting_duplicate", lane=self.lane)
                self._warn("conflict", "an origin sequence came again with different content; the first is kept",
                           origin=origin, origin_sequence=sequence)
            else:
                self.metrics.count("uplink_duplicates_dropped", lane=self.lane)
            return None
        self._mark(origin, sequence, message.data)
        event.origin_hub_id = origin
        event.origin_sequence = sequence
        event.ClearField("sequence")
        return self.forward(event)

    def _check(self, message) -> tuple[str, int, Event]:
        place = region_of_subject(self.prefix, message.subject)
        if place is None or place[0] != self.lane:
            raise Refused("bad_subject", "not a federation subject of this lane")
        _, region, _ = place
        if not region.startswith(self.region_prefix):
            raise Refused("outside_region", f"region {region or '(none)'} is outside {self.region_prefix}")
        headers = message.headers or {}
        origin = headers.get(ORIGIN_HEADER, "")
        if origin not in self.origins:
            raise Refused("unknown_origin", f"origin {origin[:64]!r} is not among the configured origins")
        try:
            sequence = int(headers.get(ORIGIN_SEQUENCE_HEADER, ""))
        except ValueError:
            raise Refused("bad_headers", "no origin sequence header") from None
        try:
            event = Event.FromString(message.data)
        except DecodeError as exc:
            raise Refused("undecodable", f"not an encoded campushub.v1.Event: {exc}") from None
        if event.sequence != sequence or lane_of(event.category) != self.lane:
            raise Refused("bad_headers", f"headers say {origin}:{sequence}, the event says sequence {event.sequence}")
        if event.origin_hub_id:
            raise Refused("bad_headers", "the event already has an origin (republished from another hub)")
        return origin, sequence, event

    def _mark(self, origin: str, sequence: int, data: bytes | None) -> None:
        if sequence > self.marks.get(origin, 0):
            self.marks[origin] = sequence
        self._seen[(origin, sequence)] = None if data is None else _digest(data)
        if len(self._seen) > _SEEN_KEPT:
            self._seen.popitem(last=False)

    def _warn(self, key: str, message: str, **fields) -> None:
        now = time.monotonic()
        if now - self._last_logged.get(key, -_LOG_EVERY) >= _LOG_EVERY:
            self._last_logged[key] = now
            self.log.warning(message, lane=self.lane, **fields)


async def _nak_all(messages) -> None:
    # (wait_for swallowing a second cancellation is harmless here: the caller is stopping and re-raises)
    try:
        await asyncio.wait_for(asyncio.gather(*(message.nak() for message in messages), return_exceptions=True), 1.0)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        pass


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _stream_sequence(message) -> int | None:
    try:
        return message.metadata.sequence.stream
    except Exception:  # a message without JetStream metadata
        return None
