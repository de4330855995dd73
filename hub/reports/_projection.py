"""The report facts as a child of the hub's service tree: a projection over the named, persisted
cursor "reports", plus the census that puts this hub's inventory into the journal.

At start the facts are rebuilt from the journal (everything retained), then the cursor follows
it; the cursor's committed position says how far the facts had got (its lag is a metric). The
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
from hub.journal import Journal, JournalCursor, RetentionExceeded
from hub.tasks import cancel_and_wait
from hub.reports._model import CENSUS, REPORT_CATEGORY, RETIRED, Facts
from hub.reports._settings import ReportSettings

log = structlog.get_logger("reports")

CURSOR_NAME = "reports"
READ_BATCH = 2000
_STATE_NAMES = {value: name.removeprefix("DEVICE_STATE_").lower() for name, value in DeviceState.items()}


def census_event(device: str, kind: str, device_class: str, hub_id: str, registered_at: float, state: str) -> Event:
    return new_event(device_id=device, type=CENSUS, category=REPORT_CATEGORY, severity=Severity.SEVERITY_INFO,
                     state=State.STATE_MOMENTARY,
                     attributes={"kind": kind, "device_class": device_class, "hub": hub_id,
                                 "registered_at": repr(registered_at), "state": state})


class ReportProjection(service.Service):
    name = "reports"

    def __init__(self, journal: Journal, submit: Callable[[Event, str], asyncio.Future[int]], registry,
                 settings: ReportSettings, hub_id: str, clock: Callable[[], float] = time.time) -> None:
        self.journal = journal
        self.submit = submit
        self.registry = registry
        self.settings = settings
        self.hub_id = hub_id
        self.clock = clock
        self.facts = self._new_facts()
        #: Time of the oldest entry the facts were built from (what a report window may reach).
        self.earliest_time = 0.0
        self._advanced = asyncio.Event()
        self._cursor: JournalCursor | None = None
        self._tasks: list[asyncio.Task] = []

    def _new_facts(self) -> Facts:
        s = self.settings
        return Facts(s.classes, s.panic_test_types, s.fire_test_types)

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.rebuild()
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

    async def rebuild(self) -> None:
        """Rebuild the facts from every entry the journal retains."""
        facts = self._new_facts()
        reader = JournalCursor.at(self.journal, self.journal.earliest - 1)
        head = self.journal.head
        first = None
        while reader.position < head:
            entries = await reader.read(READ_BATCH)
            if not entries:
                break
            if first is None:
                first = entries[0].received_at
            for entry in entries:
                facts.apply(entry)
        facts.position = reader.position
        self.facts = facts
        self.earliest_time = first if first is not None else self.clock()
        self._advance()
        log.info("report facts rebuilt", devices=len(facts.tracks), position=facts.position)

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
            for entry in entries:
                if entry.seq > self.facts.position:
                    facts_apply(entry)
            self.facts.position = max(self.facts.position, cursor.position)
            self._advance()
            await cursor.commit()
