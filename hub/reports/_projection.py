"""The report facts as a child of the hub's service tree: a projection over the named, persisted
cursor "reports", plus the census that puts this hub's inventory into the journal.

At start the facts are restored from their snapshot beside the cursor and the journal's tail is
folded into them (a full rebuild from everything retained when there is no snapshot to use, see
hub.journal.SnapshotKeeper), then the cursor follows the journal; the cursor's committed position
says how far the facts had got (its lag is a metric). A snapshot is saved every
``snapshot_every`` entries and when the hub stops. The
census is the one thing the projection writes, and it does so like everyone else: events through
the pipeline (``report.census`` per configured device at start and every ``census_interval``,
``report.retired`` for a device of this hub no longer configured). Because the census is
journaled, a hub above (federation) that receives this journal reports these schools too.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from twisted.application import service

from hub.events import DeviceState, Event, Severity, State, new_event
from hub.journal import DEFAULT_EVERY, Journal, JournalCursor, RetentionExceeded, SnapshotKeeper, fold, snapshot_format
from hub.tasks import cancel_and_wait
from hub.reports._model import CENSUS, REPORT_CATEGORY, RETIRED, TRACK_FIELDS, Facts
from hub.reports._settings import ReportSettings

log = structlog.get_logger("reports")

CURSOR_NAME = "reports"
READ_BATCH = 2000
#: Raised whenever what a snapshot holds changes shape (see hub.journal.SnapshotKeeper).
SNAPSHOT_VERSION = 1
_STATE_NAMES = {value: name.removeprefix("DEVICE_STATE_").lower() for name, value in DeviceState.items()}


def census_event(device: str, kind: str, device_class: str, hub_id: str, registered_at: float, state: str) -> Event:
    return new_event(device_id=device, type=CENSUS, category=REPORT_CATEGORY, severity=Severity.SEVERITY_INFO,
                     state=State.STATE_MOMENTARY,
                     attributes={"kind": kind, "device_class": device_class, "hub": hub_id,
                                 "registered_at": repr(registered_at), "state": state})


class ReportProjection(service.Service):
    name = "reports"

    def __init__(self, journal: Journal, submit: Callable[[Event, str], asyncio.Future[int]], registry,
                 settings: ReportSettings, hub_id: str, clock: Callable[[], float] = time.time,
                 snapshot_every: int | None = DEFAULT_EVERY) -> None:
        self.journal = journal
        self.submit = submit
        self.registry = registry
        self.settings = settings
        self.hub_id = hub_id
        self.clock = clock
        self.facts = self._new_facts()
        #: Time of the oldest entry the facts were built from (0.0: none yet).
        self.first_time = 0.0
        self._advanced = asyncio.Event()
        self._cursor: JournalCursor | None = None
        self._tasks: list[asyncio.Task] = []
        s = settings
        self.snapshots = SnapshotKeeper(journal, CURSOR_NAME, snapshot_format(
            CURSOR_NAME, SNAPSHOT_VERSION, TRACK_FIELDS, sorted(s.classes.kinds.items()),
            sorted(s.classes.devices.items()), s.panic_test_types, s.fire_test_types), snapshot_every)

    def _new_facts(self) -> Facts:
        s = self.settings
        return Facts(s.classes, s.panic_test_types, s.fire_test_types)

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.restore()
        self._cursor = await JournalCursor.named(self.journal, CURSOR_NAME, create_at=self.journal.head)
        self._cursor.position = self.facts.position
        await self._cursor.commit()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._follow())]
        if self.registry is not None:
            sequences = await self.census()
            if sequences:
                await self.wait_applied(max(sequences))
            if self.settings.census_interval:
                self._tasks.append(loop.create_task(self._census_forever(self.settings.census_interval)))
        self.startService()

    async def stop(self) -> None:
        self.stopService()
        await cancel_and_wait(self._tasks)
        if self.facts.position > self.snapshots.position and not self.journal.closed:
            await self.save_snapshot()

    async def rebuild(self) -> None:
        """Rebuild the facts from every entry the journal retains."""
        self.first_time = 0.0
        await self._fold_from(self.journal.earliest - 1, self._new_facts())
        log.info("report facts rebuilt", devices=len(self.facts.tracks), position=self.facts.position)

    async def _fold_from(self, after: int, facts: Facts) -> None:
        facts.position = await fold(self.journal, after, facts.apply)
        if not self.first_time and facts.position > after:
            first = await self.journal.read_after(after, 1)
            self.first_time = first[0].received_at if first else 0.0
        self.facts = facts
        self._advance()

    @property
    def earliest_time(self) -> float:
        """Time of the oldest entry the facts were built from, or now (what a report window may reach)."""
        return self.first_time or self.clock()

    async def restore(self) -> None:
        """The facts from their snapshot and the journal after it, or rebuilt when there is none
        to use; a snapshot is saved when this read much of the journal."""
        snapshot = await self.snapshots.load()
        if snapshot is None:
            await self.rebuild()
        else:
            state, self.first_time = snapshot.state
            facts = self._new_facts()
            facts.restore(state)
            await self._fold_from(facts.position, facts)
            log.info("report facts restored", devices=len(facts.tracks), snapshot=snapshot.position,
                     position=facts.position)
        if self.snapshots.due(self.facts.position) or snapshot is None and self.facts.position:
            await self.save_snapshot()

    def snapshot_state(self) -> tuple:
        return self.facts.state(), self.first_time

    async def save_snapshot(self) -> None:
        await self.snapshots.save(self.facts.position, self.snapshot_state())

    # --- reading ------------------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self.facts.position

    async def wait_applied(self, sequence: int) -> None:
        while self.facts.position < sequence:
            await self._advanced.wait()

    def _advance(self) -> None:
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()

    # --- census ---------------------------------------------------------------------------------
    async def census(self) -> list[int]:
        """Journal this hub's inventory: a census of every configured device (its state now) and
        the retirement of each device of this hub that is no longer configured."""
        now = self.clock()
        classes = self.settings.classes
        submitted = []
        configured = set()
        for entry in self.registry:
            spec = entry.spec
            configured.add(spec.id)
            track = self.facts.tracks.get(spec.id)
            registered = track.registered_at if track is not None and not track.retired_at else now
            submitted.append(self.submit(census_event(
                spec.id, spec.kind, classes.of(spec.id, spec.kind), self.hub_id, registered,
                _STATE_NAMES.get(entry.state, "unknown")), "reports"))
        for track in self.facts.tracks.values():
            if track.hub == self.hub_id and not track.retired_at and track.device not in configured:
                event = new_event(device_id=track.device, type=RETIRED, category=REPORT_CATEGORY,
                                  severity=Severity.SEVERITY_INFO, attributes={"hub": self.hub_id})
                event.site.region_code, event.site.school_id = track.region, track.school
                submitted.append(self.submit(event, "reports"))
        sequences = list(await asyncio.gather(*submitted))
        if self.settings.retention:
            self.facts.prune(now - self.settings.retention - 86400.0)
        log.info("census journaled", devices=len(configured), retired=len(sequences) - len(configured))
        return sequences

    async def _census_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.census()
            except Exception:  # the next round retries
                log.exception("census failed; will retry")

    async def _follow(self) -> None:
        cursor = self._cursor
        facts_apply = None
        while True:
            try:
                entries = await cursor.read(READ_BATCH)
            except RetentionExceeded as exc:
                log.error("the report cursor fell out of retention; rebuilding", error=str(exc))
                await self.rebuild()
                cursor.position = self.facts.position
                continue
            if not entries:
                if not await cursor.wait(timeout=5.0) and self.journal.closed:
                    return
                continue
            facts_apply = self.facts.apply
            if not self.first_time:
                self.first_time = entries[0].received_at
            for entry in entries:
                if entry.seq > self.facts.position:
                    facts_apply(entry)
            self.facts.position = max(self.facts.position, cursor.position)
            self._advance()
            await cursor.commit()
            if self.snapshots.due(self.facts.position):
                await self.save_snapshot()
