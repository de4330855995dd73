"""The hazard ledger: a projection of the journal and the one place ledger changes are decided.

Like the alarm table (hub.alarms._projection): ``LedgerProjection`` follows the named, persisted
cursor "ledger"; every change — a person's command or the hub's own decision — is submitted as an
event (hub.ledger._journaled) through the pipeline, and ``table`` is rebuilt from those events
alone. ``decided`` holds every change decided so far, so a command sees one still on its way to
the journal (the two tables are a :class:`hub.projection.DecidedTable`, as the alarm table's).
Automatic entries come from device events (a fire-panel fault or supervisory
condition, a UPS on battery or with a low battery: registered when raised, 待验收 when cleared;
the change names the device event's sequence, so after a crash none is decided twice) and from
time (a camera offline longer than the limit, a missed panic test, too many false alarms a day,
an entry past its deadline), looked at by :meth:`tick` from the report facts.

At start the table is restored from its snapshot beside the cursor plus the journal's tail (a
full rebuild when there is none to use; see hub.journal.SnapshotKeeper), like the report facts.

The journal's retention would take an entry's records with it, and a rebuild would lose an entry
open for longer than the journal is kept. So before retention reaches an entry's newest record
(:meth:`compact`, at start and on every tick) the entry is journaled again as it is, a
``ledger.compacted`` change (same revision): an open entry for as long as it is open, a closed
one for ``keep_closed`` after it was closed; then it leaves the ledger when its record goes.
"""
from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections.abc import Callable

import structlog
from twisted.application import service

from hub.events import Category, Event, State
from hub.journal import DEFAULT_EVERY, Entry, Journal, JournalCursor, SnapshotKeeper, fold, snapshot_format
from hub.projection import DecidedTable, DecidesChanges
from hub.tasks import cancel_and_wait
from hub.ledger._journaled import change_event, hazard_of, is_ledger_change
from hub.ledger._model import (
    GRADES, HUB_ACTOR, AddPhoto, Changed, Command, FaultCleared, Hazard, MarkOverdue, Refused, apply,
)
from hub.ledger._photos import FilePhotoStore, PhotoStore
from hub.ledger._settings import AUTO_CATEGORIES, LedgerSettings

log = structlog.get_logger("ledger")

CURSOR_NAME = "ledger"
READ_BATCH = 2000
#: Raised whenever what a snapshot holds changes shape (see hub.journal.SnapshotKeeper).
SNAPSHOT_VERSION = 2
#: An entry is re-journaled when its newest record is older than this share of the journal's
#: max_age, or (under a size limit) among this share of the oldest retained entries.
COMPACT_AT_AGE_SHARE = 0.9
COMPACT_OLDEST_SHARE = 0.1
HAZARD_FIELDS = tuple(field.name for field in dataclasses.fields(Hazard))
#: Device event types that open an automatic entry when raised and clear it when cleared.
FAULT_TYPES = ("fire.fault", "fire.supervisory", "power.on_battery", "power.battery_low")


class HazardNotFound(LookupError):
    pass


class HazardRefused(Exception):
    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.reason)
        self.refused = refused


class RegistrationRefused(ValueError):
    """A manual entry that cannot be registered (INVALID_ARGUMENT)."""


def new_hazard_id() -> str:
    return "HZ-" + secrets.token_hex(6)


class LedgerProjection(DecidesChanges, service.Service):
    name = "ledger"

    def __init__(self, journal: Journal, submit: Callable[[Event, str], asyncio.Future[int]],
                 settings: LedgerSettings, reports=None, photos: PhotoStore | None = None,
                 clock: Callable[[], float] = time.time, snapshot_every: int | None = DEFAULT_EVERY) -> None:
        self.journal = journal
        self.submit = submit
        self.settings = settings
        #: The report projection (hub.reports), for the time-driven automatic entries.
        self.reports = reports
        self.photos = photos if photos is not None else FilePhotoStore(settings.photo_dir, settings.photo_max_bytes)
        self.clock = clock
        #: The entries decided and journaled (``table``, at ``position``; see hub.projection).
        self.tables: DecidedTable[Hazard] = DecidedTable(submit, change_event, "ledger", Changed,
                                                         HazardNotFound, HazardRefused, self._index_decided)
        #: (device, cause) -> id of its open automatic entry among the decided: a tick asks for
        #: every device's, and a scan of a large ledger for each took seconds.
        self._open_auto_ids: dict[tuple[str, str], str] = {}
        self._decided_through = 0
        #: id -> (sequence, received_at) of the entry's newest journaled record.
        self._records: dict[str, tuple[int, float]] = {}
        self._cursor: JournalCursor | None = None
        self._tasks: list[asyncio.Task] = []
        self.snapshots = SnapshotKeeper(journal, CURSOR_NAME, snapshot_format(CURSOR_NAME, SNAPSHOT_VERSION,
                                                                              HAZARD_FIELDS), snapshot_every)

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.restore()
        self._cursor = await JournalCursor.named(self.journal, CURSOR_NAME, create_at=self.journal.head)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._follow())]
        await self.compact()
        if self.settings.tick_interval:
            self._tasks.append(loop.create_task(self._tick_forever(self.settings.tick_interval)))
        self.startService()

    async def stop(self) -> None:
        self.stopService()
        await cancel_and_wait(self._tasks)
        if self.position > self.snapshots.position and not self.journal.closed:
            await self.save_snapshot()

    async def rebuild(self) -> None:
        """Rebuild ``table`` from the ledger events still in the journal."""
        await self._fold_from(self.journal.earliest - 1, {}, 0, {})
        log.info("ledger rebuilt", entries=len(self.table), position=self.position)

    async def restore(self) -> None:
        """The table from its snapshot and the journal after it, or rebuilt when there is none to
        use; a snapshot is saved when this read much of the journal."""
        snapshot = await self.snapshots.load()
        if snapshot is None:
            await self.rebuild()
        else:
            position, decided_through, hazards, records = snapshot.state
            table = {values[0]: Hazard(*values) for values in hazards}
            await self._fold_from(position, table, decided_through, records)
            log.info("ledger restored", entries=len(self.table), snapshot=snapshot.position, position=self.position)
        if self.snapshots.due(self.position) or snapshot is None and self.position:
            await self.save_snapshot()

    async def _fold_from(self, after: int, table: dict[str, Hazard], decided_through: int,
                         records: dict[str, tuple[int, float]]) -> None:
        def apply(entry: Entry) -> None:
            nonlocal decided_through
            if is_ledger_change(entry):
                hazard, _, source = hazard_of(entry.event())
                table[hazard.id] = hazard
                records[hazard.id] = (entry.seq, entry.received_at)
                decided_through = max(decided_through, source)
        position = await fold(self.journal, after, apply)
        self._decided_through = decided_through
        self._records = records
        self._open_auto_ids = {}
        self.tables.reset(table, position)

    def snapshot_state(self) -> tuple:
        """What the table holds, as plain values (equal states: equal ledgers)."""
        return (self.position, self._decided_through,
                [tuple(getattr(hazard, name) for name in HAZARD_FIELDS) for hazard in self.table.values()],
                {id_: tuple(record) for id_, record in self._records.items()})

    async def save_snapshot(self) -> None:
        await self.snapshots.save(self.position, self.snapshot_state())

    # --- reading ------------------------------------------------------------------------------
    def entries(self):
        return self.table.values()

    async def history(self, id_: str) -> list[tuple[int, str, Hazard]]:
        reader = JournalCursor.at(self.journal, self.journal.earliest - 1)
        changes = []
        while entries := await reader.read(READ_BATCH):
            for entry in entries:
                if is_ledger_change(entry):
                    hazard, kind, _ = hazard_of(entry.event())
                    if hazard.id == id_:
                        changes.append((entry.seq, kind, hazard))
        return changes

    # --- deciding -----------------------------------------------------------------------------
    def validate(self, hazard: Hazard, now: float) -> None:
        """Raise RegistrationRefused unless ``hazard`` may be registered."""
        if hazard.grade not in GRADES:
            raise RegistrationRefused(f"unknown grade {hazard.grade!r}; expected general (一般) or major (重大)")
        if hazard.category not in self.settings.categories:
            raise RegistrationRefused(f"unknown category {hazard.category[:40]!r}; expected one of "
                                      f"{', '.join(self.settings.categories)}")
        if not hazard.description.strip():
            raise RegistrationRefused("an entry needs a description")
        if not hazard.school:
            raise RegistrationRefused("an entry needs the school it is at")
        if hazard.deadline and hazard.deadline <= now:
            raise RegistrationRefused("the deadline is in the past; expected a deadline after now")
        if hazard.grade == "major":
            missing = [name for name in ("measures", "funds", "people", "contingency")
                       if not getattr(hazard, f"plan_{name}").strip()]
            if missing or not hazard.plan_deadline:
                raise RegistrationRefused("a 重大 (major) entry needs its 五落实 plan: measures, funds, people, "
                                          "deadline and contingency; missing: " + ", ".join(
                                              missing + ([] if hazard.plan_deadline else ["deadline"])))
            if hazard.plan_deadline <= now:
                raise RegistrationRefused("the plan's deadline is in the past; expected a deadline after now")

    async def register(self, hazard: Hazard, actor: str, peer: str = "", photos: tuple[bytes, ...] = ()) -> Hazard:
        """Register a manual entry (validated; photos stored first) and return it once journaled.
        Raises RegistrationRefused (or PhotoRejected) with nothing changed."""
        now = self.clock()
        self.validate(hazard, now)
        site = _site(hazard)
        refs = [await asyncio.to_thread(self.photos.put, photo, site) for photo in photos]
        deadline = hazard.deadline or now + self.settings.deadline_for(hazard.grade, hazard.category)
        hazard = _replace(hazard, id=hazard.id or new_hazard_id(), deadline=deadline, state="registered",
                          photos=",".join(ref.text() for ref in refs), registered_at=now, changed_at=now,
                          last_actor=actor, revision=1)
        sequence = await self._journal(Changed(hazard, "registered"), peer=peer)
        await self.wait_applied(sequence)
        return self.table[hazard.id]

    async def command(self, id_: str, command: Command, actor: str, peer: str = "") -> Hazard:
        """Decide a person's ``command`` on entry ``id_``, journal the change and return the entry
        once the ledger shows it. Raises HazardNotFound or HazardRefused (nothing changed)."""
        return await self.tables.command(id_, lambda hazard: apply(hazard, command, self.clock(), actor), peer)

    async def add_photo(self, id_: str, data: bytes, actor: str, comment: str = "", peer: str = "") -> Hazard:
        hazard = self.tables.decided.get(id_)
        if hazard is None:
            raise HazardNotFound(id_)
        ref = await asyncio.to_thread(self.photos.put, data, _site(hazard))
        return await self.command(id_, AddPhoto(ref.text(), comment), actor, peer)

    def _journal(self, result: Changed, source_sequence: int = 0, peer: str = "") -> asyncio.Future[int]:
        return self.tables.journal(result, source_sequence, peer)

    def _index_decided(self, hazard: Hazard) -> None:
        if hazard.cause:  # (automatic entries have one)
            key = (hazard.device, hazard.cause)
            if not hazard.closed:
                self._open_auto_ids.setdefault(key, hazard.id)
            elif self._open_auto_ids.get(key) == hazard.id:
                del self._open_auto_ids[key]
                # (another open entry of the same fault, journaled before one per fault was kept)
                for other in self.tables.decided.values():
                    if (other.device, other.cause) == key and not other.closed:
                        self._open_auto_ids[key] = other.id
                        break

    def _open_auto(self, device: str, cause: str) -> Hazard | None:
        id_ = self._open_auto_ids.get((device, cause))
        return self.tables.decided.get(id_) if id_ is not None else None

    def _auto_entry(self, device: str, cause: str, region: str, school: str, description: str,
                    now: float, source_sequence: int = 0) -> asyncio.Future[int] | None:
        if cause not in self.settings.auto_causes:
            return None
        if self._open_auto(device, cause) is not None:  # (one open entry per fault; a person closes it)
            return None
        category = AUTO_CATEGORIES[cause]
        hazard = Hazard(id=new_hazard_id(), grade="general", category=category, region=region, school=school,
                        description=description, source=f"auto:{cause}", device=device, cause=cause,
                        deadline=now + self.settings.deadline_for("general", category), registered_at=now,
                        changed_at=now, last_actor=HUB_ACTOR, revision=1)
        log.info("automatic ledger entry", device=device, cause=cause, hazard=hazard.id)
        return self._journal(Changed(hazard, "registered"), source_sequence)

    def _clear(self, device: str, cause: str, now: float, source_sequence: int = 0) -> asyncio.Future[int] | None:
        hazard = self._open_auto(device, cause)
        if hazard is None:
            return None
        result = apply(hazard, FaultCleared(), now, HUB_ACTOR)
        return self._journal(result, source_sequence) if isinstance(result, Changed) else None

    def _decide(self, entry: Entry) -> asyncio.Future[int] | None:
        """The change a device event makes (a fault raised or cleared), submitted; or None."""
        type_ = entry.type
        if type_ not in FAULT_TYPES:
            return None
        event = entry.event()
        if event.state == State.STATE_CLEARED:
            return self._clear(entry.device, type_, entry.received_at, entry.seq)
        if event.state != State.STATE_RAISED:
            return None
        what = {"fire.fault": "fire panel fault", "fire.supervisory": "fire panel supervisory condition",
                "power.on_battery": "UPS on battery", "power.battery_low": "UPS battery low"}[type_]
        text = event.attributes.get("text") or event.attributes.get("description") or ""
        return self._auto_entry(entry.device, type_, entry.region, entry.school,
                                f"{what} at {entry.device}" + (f": {text}" if text else ""), entry.received_at,
                                entry.seq)

    async def compact(self) -> list[int]:
        """Journal again, unchanged, each entry whose newest record retention is about to take
        (see the module docstring); drop a closed entry past ``keep_closed`` whose record is gone.
        Returns the sequences of the records journaled."""
        journal, now = self.journal, self.clock()
        earliest = journal.earliest
        horizon = earliest
        if journal.max_bytes:
            horizon += int((journal.head - earliest + 1) * COMPACT_OLDEST_SHARE)
        old = now - COMPACT_AT_AGE_SHARE * journal.max_age if journal.max_age else None
        submitted = []
        for id_, hazard in list(self.table.items()):
            sequence, at = self._records.get(id_, (0, 0.0))
            if sequence >= horizon and (old is None or at >= old):
                continue
            if hazard.closed and now - hazard.closed_at > self.settings.keep_closed:
                if sequence < earliest:  # a rebuild no longer has it either
                    del self.table[id_]
                    self.tables.decided.pop(id_, None)
                    self._records.pop(id_, None)
                continue
            if self.tables.decided.get(id_, hazard).revision != hazard.revision:
                continue  # a newer change is on its way: that is its new record
            submitted.append(self.submit(change_event(hazard, "compacted"), "ledger"))
        if submitted:
            log.info("ledger entries journaled again before retention takes their records", entries=len(submitted))
        return list(await asyncio.gather(*submitted))

    async def tick(self) -> list[int]:
        """Decide what time has made due as of the clock: overdue entries, cameras offline too
        long (and back), missed panic tests (and passed again), too many false alarms a day."""
        now = self.clock()
        submitted: list[asyncio.Future[int]] = []
        for hazard in list(self.tables.decided.values()):
            result = apply(hazard, MarkOverdue(), now, HUB_ACTOR)
            if isinstance(result, Changed):
                log.warning("ledger entry overdue", hazard=hazard.id, grade=hazard.grade, school=hazard.school)
                submitted.append(self._journal(result))
        if self.reports is not None:
            submitted += self._from_reports(now)
        sequences = list(await asyncio.gather(*[s for s in submitted if s is not None]))
        return sequences + await self.compact()

    def _from_reports(self, now: float) -> list:
        from hub.reports import compliance
        facts, settings = self.reports.facts, self.reports.settings
        submitted = []
        limit = self.settings.camera_offline_limit
        for track in facts.tracks.values():
            if track.device_class != "video" or not track.in_inventory(now):
                continue
            if track.is_online(now):
                submitted.append(self._clear(track.device, "camera_offline", now))
            elif track.times and now - max(track.times[-1], track.registered_at) > limit:
                hours = (now - track.times[-1]) / 3600
                submitted.append(self._auto_entry(
                    track.device, "camera_offline", track.region, track.school,
                    f"camera {track.device} offline for {hours:.0f} h (over {limit / 3600:g} h)", now))
        result = compliance(facts, settings, now)
        for test in result.panic:
            track = facts.tracks[test.device]
            if test.passed:
                submitted.append(self._clear(test.device, "panic_test_missed", now))
            elif now - track.registered_at > settings.panic_test_period:  # it had a period to test
                submitted.append(self._auto_entry(test.device, "panic_test_missed", test.region, test.school,
                                                  f"one-button alarm {test.device}: {test.reason}", now))
        today = {day.device: day for day in result.false_alarm_days
                 if day.day == _today(settings, now)}
        for day in today.values():
            submitted.append(self._auto_entry(day.device, "false_alarms", day.region, day.school,
                                              f"{day.count} false alarms of {day.device} on {day.day} (more than "
                                              f"{settings.false_alarms_per_day})", now))
        for hazard in list(self.tables.decided.values()):
            if hazard.cause == "false_alarms" and not hazard.fault_cleared and hazard.device not in today:
                submitted.append(self._clear(hazard.device, "false_alarms", now))
        return submitted

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.tick()
            except Exception:  # the next tick retries
                log.exception("ledger timers failed; will retry")

    async def _follow(self) -> None:
        cursor = self._cursor
        async for entries in cursor.batches(READ_BATCH, lost="device events were lost to the ledger"):
            submitted = []
            for entry in entries:
                if is_ledger_change(entry):
                    if entry.seq > self.position:
                        hazard, _, source = hazard_of(entry.event())
                        self.tables.applied(hazard)
                        self._records[hazard.id] = (entry.seq, entry.received_at)
                        # (as a rebuild has it, so a snapshot taken now equals a rebuild)
                        self._decided_through = max(self._decided_through, source)
                elif entry.seq > self._decided_through and entry.category in _FAULT_CATEGORIES:
                    # Each entry comes here once; after a restart, those whose change was
                    # journaled are at or below _decided_through (the change names its source).
                    change = self._decide(entry)
                    if change is not None:
                        submitted.append(change)
            self.tables.advance(max(self.position, cursor.position))
            if submitted:
                await asyncio.gather(*submitted)
            await cursor.commit()
            if self.snapshots.due(self.position):
                await self.save_snapshot()


_FAULT_CATEGORIES = frozenset({Category.CATEGORY_FIRE, Category.CATEGORY_POWER})


def _today(settings, now: float) -> str:
    from hub.reports._figures import local_day
    return local_day(settings, now).isoformat()


def _site(hazard: Hazard) -> dict:
    return {"region_code": hazard.region, "school_id": hazard.school}


def _replace(hazard: Hazard, **changes) -> Hazard:
    return dataclasses.replace(hazard, **changes)
