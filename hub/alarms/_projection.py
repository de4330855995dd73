"""The alarm table: a projection of the journal, and the one place alarm changes are decided.

``AlarmProjection`` reads the journal with a named, persisted :class:`hub.journal.JournalCursor`
("alarms"). A device event that a class makes an alarm (or that clears one) runs through the
model, and the change is *submitted* as an event (``hub.alarms._journaled``) through the
pipeline like any other: it never writes the journal itself. Operators' commands are decided the
same way (:meth:`AlarmProjection.command`).

Two tables: ``decided`` holds every change decided so far (what the next decision starts from,
so a command sees a change still on its way to the journal); ``table`` holds what is journaled,
applied as the change events are read back, and is what readers see. ``table`` is rebuilt from
the change events alone (each holds the whole alarm), so it can be dropped and rebuilt
identically; the cursor's stored position says which device events were decided. The cursor is
committed only once the changes decided from the entries before it are journaled, so a crash
loses no decision; a device event whose change was journaled but not yet committed past is
recognised by the change's ``source_sequence`` and not decided twice.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence

import structlog
from twisted.application import service

from hub.alarms._classes import AlarmClass, match_class
from hub.alarms._journaled import ALARM_CATEGORY, alarm_of, change_event
from hub.alarms._audit import AuditRecord, audit_event, audit_of, is_audit
from hub.alarms._kpis import KpiTracker
from hub.alarms._settings import AlarmOverride, AlarmSettings
from hub.alarms._machine import Changed, Command, Raise, Clear, Refused, apply
from hub.alarms._state import Alarm, alarm_id
from hub.alarms._timers import due
from hub.events import Event, State
from hub.journal import Entry, Journal, JournalCursor
from hub.tasks import cancel_and_wait

log = structlog.get_logger("alarms")

CURSOR_NAME = "alarms"
#: What linkage did (hub.linkage): a snapshot's done event attaches its media to its alarm_id.
LINKAGE_CATEGORY = 12
_NO_ALARM = Alarm(id="", device="", type="")
READ_BATCH = 1000
#: The newest changes kept decoded for WatchAlarms' watchers (decoding one costs ~50 µs; each of
#: N watchers would decode it again).
RECENT_CHANGES = 4096
#: Changes submitted and not yet journaled beyond which the follow loop waits for the journal
#: (catching up on a backlog must not flood the pipeline).
MAX_UNJOURNALED = 5000


class AlarmNotFound(LookupError):
    pass


class CommandRefused(Exception):
    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.reason)
        self.refused = refused


@dataclasses.dataclass(frozen=True)
class Change:
    """One journaled change: the table's revision (its journal sequence), the alarm after it, and
    what happened."""

    sequence: int
    alarm: Alarm
    kind: str
    #: Where a command came from (empty for devices and the hub).
    peer: str = ""


def is_change(entry: Entry) -> bool:
    return entry.category == ALARM_CATEGORY


def change_of(entry: Entry) -> Change:
    event = entry.event()
    alarm, kind, _ = alarm_of(event)
    return Change(entry.seq, alarm, kind, event.attributes.get("peer", ""))


class AlarmProjection(service.Service):
    """The alarm table as a child of the hub's service tree (see the module docstring)."""

    name = "alarms"

    def __init__(self, journal: Journal, submit: Callable[[Event, str], asyncio.Future[int]],
                 classes: Sequence[AlarmClass], clock: Callable[[], float] = time.time,
                 tick_interval: float | None = 1.0, overrides: Sequence[AlarmOverride] = ()) -> None:
        self.journal = journal
        self.submit = submit
        self.classes = tuple(classes)
        self.classes_by_name = {alarm_class.name: alarm_class for alarm_class in classes}
        #: Each alarm's settings: its class's, with the overrides for its place.
        self.settings = AlarmSettings(self.classes, overrides)
        self.clock = clock
        #: How often time-driven changes are looked for (None: only when tick() is called).
        self.tick_interval = tick_interval
        #: What is journaled: alarm id -> alarm. Readers use this.
        self.table: dict[str, Alarm] = {}
        #: KPIs of the changes applied to ``table`` (rebuilt with it).
        self.kpis = KpiTracker()
        #: The journal sequence ``table`` reflects (its revision).
        self.position = 0
        self._decided: dict[str, Alarm] = {}
        self._decided_through = 0
        self._devices_with_alarms: set[str] = set()
        #: Media linkage attached to each alarm (alarm id -> MediaRefs), from LINKAGE events.
        self.media: dict[str, list] = {}
        self._advanced = asyncio.Event()
        self._cursor: JournalCursor | None = None
        self._task: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None
        #: journal sequence -> the change it journaled, for the newest RECENT_CHANGES changes.
        self._recent: dict[int, Change] = {}
        #: Changes decided since the last cursor commit started (see _commit_soon).
        self._unjournaled: list[asyncio.Future[int]] = []
        self._commit_wanted: int | None = None
        self._committer: asyncio.Task | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.rebuild()
        self._cursor = await JournalCursor.named(self.journal, CURSOR_NAME, create_at=self.journal.head)
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._follow())
        if self.tick_interval:
            self._ticker = loop.create_task(self._tick_forever(self.tick_interval))
        self.startService()

    async def stop(self) -> None:
        self.stopService()
        await cancel_and_wait((self._ticker, self._task))
        if self._committer is not None:  # the position decided through is stored, if it can be
            try:
                async with asyncio.timeout(5.0):  # (not wait_for: it can swallow a cancel, gh-86296)
                    await self._committer
            except Exception:
                log.exception("the alarm cursor's last commit failed; its events are decided again at start")

    async def rebuild(self) -> None:
        """Rebuild ``table`` from the change events still in the journal (read through the
        journal's index of alarm changes: a big journal of other events costs nothing here)."""
        table: dict[str, Alarm] = {}
        kpis = KpiTracker()
        self.media = {}
        decided_through = 0
        position = 0
        while True:
            entries, position = await self.journal.read_indexed_after(position, READ_BATCH)
            for entry in entries:
                if is_change(entry):
                    alarm, kind, source = alarm_of(entry.event())
                    kpis.observe(table.get(alarm.id), alarm, kind)
                    table[alarm.id] = alarm
                    decided_through = max(decided_through, source)
                elif entry.category == LINKAGE_CATEGORY:
                    self._attach_media(entry)
            if len(entries) < READ_BATCH:
                break
        self.table = table
        self.kpis = kpis
        self._decided = dict(table)
        self._devices_with_alarms = {alarm.device for alarm in table.values()}
        self._decided_through = decided_through
        self._advance(position)
        log.info("alarm table rebuilt", alarms=len(table), position=self.position)

    async def _changes(self):
        """Every alarm change in the journal, oldest first."""
        after = 0
        while True:
            entries, after = await self.journal.read_indexed_after(after, READ_BATCH)
            for entry in filter(is_change, entries):
                yield entry
            if len(entries) < READ_BATCH:
                return

    # --- reading ------------------------------------------------------------------------------
    def get(self, id_: str) -> Alarm | None:
        return self.table.get(id_)

    def decoded_change(self, entry: Entry) -> Change:
        """The change an alarm change entry journaled: the one the table applied (decoded once for
        every watcher) while it is among the newest, else decoded now."""
        change = self._recent.get(entry.seq)
        return change if change is not None else change_of(entry)

    def _remember(self, change: Change) -> None:
        recent = self._recent
        recent[change.sequence] = change
        if len(recent) > RECENT_CHANGES:
            del recent[next(iter(recent))]  # the oldest: changes are applied in sequence order

    async def wait_applied(self, sequence: int) -> None:
        """Until ``table`` reflects the journal through ``sequence``."""
        while self.position < sequence:
            await self._advanced.wait()

    async def wait_beyond(self, position: int) -> None:
        while self.position <= position:
            await self._advanced.wait()

    def _advance(self, position: int) -> None:
        self.position = position
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()

    # --- deciding -----------------------------------------------------------------------------
    async def command(self, id_: str, command: Command, actor: str, peer: str = "") -> Alarm:
        """Decide an operator's ``command`` on alarm ``id_``, journal the change and return the
        alarm once the table shows it. Raises AlarmNotFound or CommandRefused (nothing changed)."""
        alarm = self._decided.get(id_)
        if alarm is None:
            raise AlarmNotFound(id_)
        result = apply(alarm, command, self.clock(), actor)
        if isinstance(result, Refused):
            raise CommandRefused(result)
        sequence = await self._journal(result, peer=peer)
        await self.wait_applied(sequence)
        return self.table[id_]

    def _journal(self, result: Changed, source_sequence: int = 0, peer: str = "") -> asyncio.Future[int]:
        self._decided[result.alarm.id] = result.alarm
        self._devices_with_alarms.add(result.alarm.device)
        return self.submit(change_event(result.alarm, result.kind, source_sequence, peer), "alarms")

    async def history(self, id_: str) -> list[Change]:
        """Every change of alarm ``id_`` still in the journal, oldest first (read through the
        journal's index of alarm changes)."""
        device = self.table.get(id_, _NO_ALARM).device
        changes = []
        async for entry in self._changes():
            if entry.device == device:
                change = change_of(entry)
                if change.alarm.id == id_:
                    changes.append(change)
        return changes

    # --- audit --------------------------------------------------------------------------------
    async def record(self, record: AuditRecord) -> int:
        """Journal an audit record of a command (see hub.alarms._audit); its sequence."""
        return await self.journal.append(audit_event(record))

    async def audit(self, wanted: Callable[[AuditRecord], bool], before: int | None, limit: int
                    ) -> tuple[list[AuditRecord], bool]:
        """Up to ``limit`` wanted audit records before sequence ``before`` (None: the newest),
        newest first, read back through the journal's index; and whether there are more."""
        found: list[AuditRecord] = []
        position = self.journal.head + 1 if before is None else before
        while True:
            entries = await self.journal.read_indexed_before(position, READ_BATCH)
            for entry in entries:
                if is_audit(entry):
                    record = audit_of(entry)
                    if wanted(record):
                        if len(found) == limit:
                            return found, True
                        found.append(record)
            if len(entries) < READ_BATCH:
                return found, False
            position = entries[-1].seq

    def _decide(self, entry: Entry) -> asyncio.Future[int] | None:
        """The change a device event makes, submitted; None when it makes none."""
        alarm_class = match_class(self.classes, entry.category, entry.severity, entry.type)
        if alarm_class is None and entry.device not in self._devices_with_alarms:
            return None
        event = entry.event()
        if alarm_class is not None:
            alarm_class = self.settings.resolve(alarm_class.name, entry.region, entry.school, event.site.building,
                                                entry.device)
        id_ = alarm_id(entry.device, entry.type, event.site.zone)
        alarm = self._decided.get(id_)
        if event.state == State.STATE_CLEARED:
            if alarm is None:
                return None
            command: Command = Clear()
        else:
            if alarm_class is None:
                return None
            if alarm is None:
                alarm = Alarm(id=id_, device=entry.device, type=entry.type, zone=event.site.zone, region=entry.region,
                              school=entry.school, building=event.site.building, category=entry.category, class_name=alarm_class.name,
                              priority=alarm_class.priority, latching=alarm_class.latch)
            command = Raise(momentary=event.state == State.STATE_MOMENTARY, reactivation=alarm_class.reactivation,
                            on_delay=alarm_class.on_delay)
        result = apply(alarm, command, entry.received_at, f"device:{entry.device}")
        if isinstance(result, Refused):
            return None
        return self._journal(result, entry.seq)

    def _attach_media(self, entry: Entry) -> None:
        if entry.type != "linkage.action.done":
            return
        event = entry.event()
        attached_to = event.attributes.get("alarm_id", "")
        if attached_to and event.media:
            self.media.setdefault(attached_to, []).extend(event.media)

    async def tick(self) -> list[int]:
        """Decide what time has made due (escalation, auto-acknowledgement, shelving running
        out) as of the clock; returns the journal sequences of the changes."""
        now = self.clock()
        submitted = []
        for alarm in list(self._decided.values()):
            command = due(alarm, self.settings.of(alarm), now)
            if command is None:
                continue
            result = apply(alarm, command, now, "hub")
            if isinstance(result, Changed):
                submitted.append(self._journal(result))
        return list(await asyncio.gather(*submitted))

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.tick()
            except Exception:  # the next tick retries; a failure must not end the timers
                log.exception("alarm timers failed; will retry")

    async def _follow(self) -> None:
        cursor = self._cursor
        async for entries in cursor.batches(READ_BATCH, lost="device events were lost to the alarms"):
            submitted = self._unjournaled
            for entry in entries:
                if is_change(entry):
                    if entry.seq > self.position:  # (the rebuild applied those before)
                        change = change_of(entry)
                        alarm = change.alarm
                        self._remember(change)
                        self.kpis.observe(self.table.get(alarm.id), alarm, change.kind)
                        self.table[alarm.id] = alarm
                        known = self._decided.get(alarm.id)
                        if known is None or known.revision < alarm.revision:
                            self._decided[alarm.id] = alarm  # (decided before a rebuild while running)
                elif entry.category == LINKAGE_CATEGORY:  # (what linkage did is no alarm itself)
                    if entry.seq > self.position:
                        self._attach_media(entry)
                elif entry.seq > self._decided_through:
                    change = self._decide(entry)
                    if change is not None:
                        submitted.append(change)
                    self._decided_through = entry.seq
            self._advance(max(self.position, cursor.position))
            self._commit_soon(cursor.position)
            if len(self._unjournaled) >= MAX_UNJOURNALED:
                await asyncio.gather(*self._unjournaled)

    # The cursor is committed beside the follow loop, not in it: the loop goes on deciding while
    # the changes it submitted are journaled and the position is stored. (Awaited in the loop, a
    # cursor save, which the journal writes in a pause between its commits, held the loop and
    # every new alarm behind it under load.) One commit at a time; the next takes the newest position.
    def _commit_soon(self, position: int) -> None:
        """Store ``position`` as the cursor's once the changes decided before it are journaled."""
        committer = self._committer
        if committer is not None and not committer.done():
            self._commit_wanted = position
            return
        if committer is not None and not committer.cancelled() and committer.exception() is not None:
            raise committer.exception()  # a change was not journaled: stop deciding, as before
        self._committer = asyncio.get_running_loop().create_task(self._commit_through(position))

    async def _commit_through(self, position: int) -> None:
        while True:
            changes, self._unjournaled = self._unjournaled, []
            if changes:
                await asyncio.gather(*changes)  # journaled before the cursor moves past their sources
            await self._cursor.commit(position)
            if self._commit_wanted is None:
                return
            position, self._commit_wanted = self._commit_wanted, None
