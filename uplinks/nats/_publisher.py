"""Publishing one lane of this hub's journal to JetStream.

A named cursor per lane (``uplink:<instance>:<lane>``) is the published position: entries are
read after it, published with ``Nats-Msg-Id = <hub id>:<sequence>`` (so a republish after a crash
is dropped by the stream's duplicate window), at most ``window`` in flight, and the cursor is
committed only once JetStream acknowledged every one of them. Until then the journal is the
buffer: an outage only grows the backlog, and the next successful round catches up. Events that
came from a lower hub (an origin of their own) are not published again: the hubs above consume
the lower hub's subjects themselves.
"""
from __future__ import annotations

import asyncio
import time

import nats.errors
import nats.js.errors
import structlog

from hub.events import Event
from hub.journal import JournalCursor, RetentionExceeded
from hub.spi import raise_if_cancelling
from uplinks.nats._subjects import event_subject, lane_of

__all__ = ["ORIGIN_HEADER", "ORIGIN_SEQUENCE_HEADER", "Publisher"]

ORIGIN_HEADER = "Campus-Origin"
ORIGIN_SEQUENCE_HEADER = "Campus-Origin-Seq"
_RETRY_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class Publisher:
    def __init__(self, js, journal, *, instance: str, hub_id: str, prefix: str, lane: str, region: str,
                 window: int, ack_timeout: float, metrics, log=None) -> None:
        self.js = js
        self.journal = journal
        self.hub_id = hub_id
        self.prefix = prefix
        self.lane = lane
        self.region = region
        self.window = window
        self.ack_timeout = ack_timeout
        self.metrics = metrics
        self.log = log or structlog.get_logger("uplink")
        self.cursor_name = f"uplink:{instance}:{lane}"
        self.cursor: JournalCursor | None = None
        #: The acknowledged position (the cursor's own runs ahead while a window is in flight).
        self.acknowledged: int | None = None
        self.published = 0
        self.connected = False

    @property
    def backlog(self) -> int:
        """Journal entries after the published position (of both lanes: the cursor reads all)."""
        return self.journal.head - (self.acknowledged or 0)

    async def run(self) -> None:
        self.cursor = cursor = await JournalCursor.named(self.journal, self.cursor_name, create_at=0)
        self.acknowledged = cursor.position
        failures = 0
        while True:
            raise_if_cancelling()  # (nats-py's publish_async may have swallowed a stop)
            committed = cursor.position
            try:
                entries = await cursor.read(self.window)
            except RetentionExceeded as exc:
                self.log.error("uplink fell behind retention: these events were never published", lane=self.lane,
                               error=str(exc))
                self.metrics.count("uplink_lost_to_retention", max(0, self.journal.earliest - 1 - committed))
                cursor.position = self.acknowledged = self.journal.earliest - 1  # (lost, not backlog)
                continue
            if not entries:
                self.metrics.gauge("uplink_backlog", 0, lane=self.lane)
                if not await cursor.wait(timeout=5.0) and self.journal.closed:
                    return
                continue
            try:
                sent = await self._publish(entries)
            except (asyncio.TimeoutError, nats.errors.Error, nats.js.errors.Error, OSError) as exc:
                cursor.position = committed  # republished next round; the msg id makes that a no-op
                failures += 1
                delay = _RETRY_DELAYS[min(failures, len(_RETRY_DELAYS)) - 1]
                if failures == 1 or failures % 20 == 0:
                    self.log.warning("publishing to JetStream failed; the journal keeps the events and the uplink "
                                     "retries", lane=self.lane, error=f"{type(exc).__name__}: {exc}",
                                     backlog=self.backlog, retry_in=delay, failures=failures)
                self.metrics.count("uplink_publish_failures", lane=self.lane)
                self.metrics.gauge("uplink_backlog", self.backlog, lane=self.lane)
                self.connected = False
                await asyncio.sleep(delay)
                continue
            if failures:
                self.log.info("publishing to JetStream again; catching up", lane=self.lane, backlog=self.backlog)
            failures = 0
            self.connected = True
            await cursor.commit()
            self.acknowledged = cursor.position
            self.published += sent
            self.metrics.count("uplink_published", sent, lane=self.lane)
            self.metrics.gauge("uplink_backlog", self.backlog, lane=self.lane)

    async def _publish(self, entries) -> int:
        """Publish this lane's own events among ``entries``; returns how many, once all are acked."""
        acks = []
        started = time.monotonic()
        for entry in entries:
            if lane_of(entry.category) != self.lane:
                continue
            payload = entry.serialized()
            event = Event.FromString(payload)
            if event.origin_hub_id:
                continue
            subject = event_subject(self.prefix, entry.region or self.region, entry.school, entry.category)
            headers = {"Nats-Msg-Id": f"{self.hub_id}:{entry.seq}", ORIGIN_HEADER: self.hub_id,
                       ORIGIN_SEQUENCE_HEADER: str(entry.seq)}
            acks.append(await self.js.publish_async(subject, payload, headers=headers, wait_stall=self.ack_timeout))
        if not acks:
            return 0
        remaining = self.ack_timeout - (time.monotonic() - started)
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a stop's cancellation that
            # arrives with the acks (gh-86296), and the publisher would go on to its next round.
            async with asyncio.timeout(max(remaining, 0.001)):
                results = await asyncio.gather(*acks)
        except BaseException:
            for ack in acks:
                ack.cancel()
            raise
        duplicates = sum(1 for ack in results if ack.duplicate)
        if duplicates:
            self.metrics.count("uplink_republished_duplicates", duplicates, lane=self.lane)
        return len(acks)
