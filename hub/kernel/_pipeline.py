"""adapter → enrich → dedupe → journal → (subscribers read the journal).

Enrich gives an event its hub identity and its device's site; an event from a device that is not
in the registry is kept, flagged ``unknown_device`` and counted. Dedupe folds consecutive identical
events of one device (same type, state, place and attributes inside the window) into a single later event carrying
``repeat_count``, so a chattering device cannot flood subscribers while nothing is hidden: the
first occurrence passes at once and a different event from the device flushes the count first.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time

import structlog

from hub.events import Event, stamp_received
from hub.journal import Journal, NewEntry
from hub.kernel._metrics import HubMetrics
from hub.kernel._registry import DeviceRegistry

log = structlog.get_logger("pipeline")


#: region, school, and the encoded site field appended to the event (see Pipeline._place)
_Place = tuple[str, str, bytes]


@dataclasses.dataclass(slots=True)
class _Fold:
    """The last event a device sent, and the repeats folded since."""

    type: str
    state: int
    opened: float
    template: Event
    place: _Place
    journaled: asyncio.Future
    repeats: int = 0
    last_occurred: object = None


class Pipeline:
    def __init__(self, registry: DeviceRegistry, journal: Journal, metrics: HubMetrics,
                 dedupe_window: float = 10.0) -> None:
        self.registry = registry
        self.journal = journal
        self.metrics = metrics
        self.dedupe_window = dedupe_window
        self._folds: dict[str, _Fold] = {}
        self._sweeper: asyncio.Task | None = None

    def start(self) -> None:
        if self.dedupe_window > 0:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            try:
                await self._sweeper
            except asyncio.CancelledError:
                pass
        self.flush_folds(force=True)

    def submit(self, event: Event, adapter: str) -> asyncio.Future[int]:
        # Every event passes here: field reads and calls are kept to what is needed.
        now = time.time()
        stamp_received(event, now)
        event.adapter = adapter
        device = event.source_device_id
        place = self._place(event, device, adapter)
        category = event.category
        self.metrics.events_in[adapter, category] += 1
        if self.dedupe_window > 0 and device:
            folded = self._fold(event, device, now)
            if folded is not None:
                self.metrics.deduped.labels(adapter).inc()
                return folded
            future = self._journal(event, device, category, now, place)
            self._folds[device] = _Fold(event.type, event.state, now, event, place, future)
            return future
        return self._journal(event, device, category, now, place)

    def submit_forwarded(self, event: Event, adapter: str) -> asyncio.Future[int]:
        """Journal an event that another hub journaled first, as it is: its site, times and
        origin are kept; no registry lookup, no dedupe (the lower hub did both)."""
        self.metrics.events_in[adapter, event.category] += 1
        site = event.site
        return self.journal.append_entry(NewEntry(
            time.time(), site.region_code, site.school_id, event.category, event.severity, event.type,
            event.source_device_id, event.SerializeToString(), b""))

    def _journal(self, event: Event, device: str, category: int, now: float, place: _Place) -> asyncio.Future[int]:
        region, school, site = place
        return self.journal.append_entry(NewEntry(
            now, region, school, category, event.severity, event.type, device, event.SerializeToString(), site))

    def _place(self, event: Event, device: str, adapter: str) -> _Place:
        """Where the event happened: (region, school, the site field to append to the event).

        An event without a site of its own gets its device's, appended to it in encoded form
        (copying it into the message costs more than the rest of this)."""
        entry = self.registry.get(device)
        if entry is None:
            if not device:  # the hub's own event (a ledger entry of a place): it carries its site
                return event.site.region_code, event.site.school_id, b""
            event.unknown_device = True
            self.metrics.unknown_device_events.labels(adapter).inc()
            log.warning("event from a device that is not configured; kept and flagged",
                        device=device, adapter=adapter, type=event.type)
            return event.site.region_code, event.site.school_id, b""
        if not event.HasField("site"):
            return entry.region, entry.school, entry.site_field
        site = entry.spec.site
        event.site.region_code = entry.region
        event.site.school_id = entry.school
        # An adapter may know a finer location (a fire zone, a camera's view) than the device's.
        for field in ("building", "floor", "zone"):
            if not getattr(event.site, field):
                setattr(event.site, field, getattr(site, field))
        return entry.region, entry.school, b""

    def _fold(self, event: Event, device: str, now: float) -> asyncio.Future[int] | None:
        fold = self._folds.get(device)
        if fold is not None:
            if (fold.type == event.type and fold.state == event.state and now - fold.opened < self.dedupe_window
                    and _same_content(fold.template, event)):
                fold.repeats += 1
                fold.last_occurred = event.occurred_at
                return _follow(fold.journaled)
            self._flush(device, fold)
        return None

    def _flush(self, device: str, fold: _Fold) -> None:
        del self._folds[device]
        if fold.repeats:
            summary = Event()
            summary.CopyFrom(fold.template)
            summary.id = ""
            summary.repeat_count = fold.repeats
            if fold.last_occurred is not None:
                summary.occurred_at.CopyFrom(fold.last_occurred)
            now = time.time()
            stamp_received(summary, now)
            self._journal(summary, device, summary.category, now, fold.place)

    def flush_folds(self, force: bool = False, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for device, fold in list(self._folds.items()):
            if force or now - fold.opened >= self.dedupe_window:
                self._flush(device, fold)

    async def _sweep_forever(self) -> None:
        interval = max(0.05, self.dedupe_window / 4)
        while True:
            await asyncio.sleep(interval)
            self.flush_folds()


def _same_content(first: Event, repeat: Event) -> bool:
    """Is ``repeat`` the same happening as ``first``? Place and attributes must match too: a fire
    in zone 5 is not a repeat of a fire in zone 3 of the same panel."""
    return first.site == repeat.site and dict(first.attributes) == dict(repeat.attributes)


def _follow(source: asyncio.Future) -> asyncio.Future:
    """A new future that settles like ``source`` (so one caller cancelling can't hurt another)."""
    follower = asyncio.get_running_loop().create_future()

    def settle(done: asyncio.Future) -> None:
        if follower.done():
            return
        if done.cancelled():
            follower.cancel()
        elif done.exception() is not None:
            follower.set_exception(done.exception())
        else:
            follower.set_result(done.result())

    source.add_done_callback(settle)
    return follower
