"""The durable event journal: SQLite in WAL mode, group commit, retention, replay.

Commits go through one writer (hub.journal._writer): small ones on the loop, large ones in the
store process. Everything that arrives while a commit is in flight goes into the next commit ("group
commit"), so the journal keeps up with bursts without one transaction per event. A sequence becomes visible (to
subscribers and to the appender's future) only after its transaction committed, and sequences are
assigned in commit order, so the journal is gap-free: a failed commit is retried with the same
sequences before anything later is written.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Callable

import structlog

from hub.events import Event
from hub.journal import _schema as schema
from hub.journal._entries import Entry, NewEntry, new_entry_for_event, sequenced
from hub.journal._store import SYNCHRONOUS, first_young_sequence
from hub.journal._store_process import StoreGone
from hub.journal._tail import TailCache
from hub.journal._writer import JournalWriter
from hub.spi import Backoff

log = structlog.get_logger("journal")


class JournalUnavailable(RuntimeError):
    """The journal cannot take more events (write failures with a full backlog, or closed)."""


class CursorError(LookupError):
    """A named journal cursor cannot be used."""


class CursorNotFound(CursorError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no journal cursor named {name!r}; known cursors: {', '.join(known) or '(none)'}")
        self.name = name


class CursorCorrupt(CursorError):
    def __init__(self, name: str, stored, head: int) -> None:
        super().__init__(f"journal cursor {name!r} holds {stored!r}, which is no position in this journal "
                         f"(0..{head}); was the journal replaced? reset the cursor to resume")
        self.name = name
        self.stored = stored


class RetentionExceeded(LookupError):
    """A reader asked for events older than the oldest one still retained."""

    def __init__(self, after: int, earliest: int) -> None:
        super().__init__(
            f"events after sequence {after} are no longer retained: the earliest retained "
            f"sequence is {earliest}; resume from the earliest or from now"
        )
        self.after = after
        self.earliest = earliest


def _diagnose(directory: str) -> str:
    """Why a journal directory may be unusable, in words an integrator can act on."""
    if not os.path.isdir(directory):
        return f"{directory} is not a directory"
    try:
        stats = os.statvfs(directory)
    except OSError as exc:
        return f"cannot inspect {directory}: {exc.strerror}"
    if stats.f_flag & os.ST_RDONLY:
        return f"{directory} is on a read-only file system"
    if not os.access(directory, os.W_OK):
        return f"{directory} is not writable by this user"
    if stats.f_bavail * stats.f_frsize < 1 << 20:
        return f"{directory} has less than 1 MiB free"
    return "check that the directory is writable by this user and has free space"


#: Events between WAL checkpoints (about 1,000 WAL pages, SQLite's own default).
CHECKPOINT_EVERY_EVENTS = 8000


class Journal:
    def __init__(
        self,
        path: str,
        *,
        durability: str = "normal",
        max_events_per_commit: int = 5000,
        tail_cache_events: int = 200_000,
        max_age: float | None = None,
        max_bytes: int | None = None,
        max_backlog: int = 200_000,
        metrics=None,
    ) -> None:
        if durability not in SYNCHRONOUS:
            raise ValueError(f"durability must be one of {', '.join(SYNCHRONOUS)}, got {durability!r}")
        self.path = path
        self.durability = durability
        self.max_events_per_commit = max_events_per_commit
        self.max_age = max_age
        self.max_bytes = max_bytes
        self.max_backlog = max_backlog
        self.metrics = metrics
        self.tail = TailCache(tail_cache_events)
        self.head = 0  # newest committed sequence
        self.earliest = 1  # oldest retained sequence (head + 1 when empty)
        self.healthy = True
        self.last_error: str | None = None
        #: Called with False when writes start failing and True when they recover.
        self.on_health: Callable[[bool], None] = lambda healthy: None
        self._writer = JournalWriter(path, durability, self._log_store_note)
        self._readers = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="journal-reader")
        self._reader_local = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []
        self._events_since_checkpoint = 0
        self._pending: list[tuple[NewEntry, asyncio.Future[int]]] = []
        self._cursor_saves: dict[str, tuple[int, float]] = {}
        self._snapshot_saves: dict[str, tuple] = {}
        self._cursor_saved: list[asyncio.Future] = []
        self._flusher: asyncio.Task | None = None
        self._advanced: asyncio.Future | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(directory, exist_ok=True)
            self.head, self.earliest = await self._writer.open()
        except (OSError, sqlite3.Error) as exc:
            await self._writer.close()
            raise JournalUnavailable(f"cannot open the journal at {self.path}: {exc}; {_diagnose(directory)}") from exc
        log.info("journal opened", path=self.path, durability=self.durability,
                 head_sequence=self.head, earliest_sequence=self.earliest)
        self._set_gauges()

    @staticmethod
    def _log_store_note(level: str, message: str, fields: dict) -> None:
        getattr(log, level)(message, **fields)

    async def close(self) -> None:
        """Commit what is pending, then close. Appends after this fail."""
        self._closed = True
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        self._readers.shutdown(wait=True)
        self._close_readers()
        await self._writer.close()
        if self._advanced is not None and not self._advanced.done():
            self._advanced.set_result(None)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def store_pid(self) -> int | None:
        """The journal store process's id (for monitoring; see hub.journal._store_server)."""
        return self._writer.pid

    # --- appending ---------------------------------------------------------------------------
    def append(self, event: Event) -> asyncio.Future[int]:
        """Queue an event whose hub fields are set; the future resolves with its sequence once
        committed. The event is serialized now: later changes to it are not journaled."""
        return self.append_entry(new_entry_for_event(event))

    def append_entry(self, pending: NewEntry) -> asyncio.Future[int]:
        """Queue an event already made an entry (see NewEntry)."""
        future: asyncio.Future[int] = self._loop.create_future()
        if self._closed:
            future.set_exception(JournalUnavailable("the journal is closed"))
            return future
        if len(self._pending) >= self.max_backlog:
            self._count("journal_rejected_total")
            future.set_exception(JournalUnavailable(
                f"journal backlog full ({self.max_backlog} events waiting): {self.last_error or 'writes too slow'}"))
            return future
        self._pending.append((pending, future))
        if self._flusher is None:
            self._flusher = self._loop.create_task(self._flush())
        return future

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)  # let the current burst of appends join this commit
            while self._pending or self._cursor_saves or self._snapshot_saves:
                if not self._pending:
                    await self._store_cursors()
                    continue
                batch = self._pending[: self.max_events_per_commit]
                del self._pending[: len(batch)]
                try:
                    await self._commit(batch)
                except Exception as exc:  # a bug, not an I/O error (those are retried in _commit)
                    await self._fail_batch(batch, exc)
        finally:
            self._flusher = None

    async def _fail_batch(self, batch: list[tuple[NewEntry, asyncio.Future[int]]], exc: Exception) -> None:
        """Fail the batch's appenders (so no device is acknowledged) and re-read the head, so the
        journal stays gap-free whether or not the batch reached the database."""
        log.error("journal commit failed unexpectedly; the batch's appenders are told", error=repr(exc),
                  events=len(batch), exc_info=exc)
        self._count("journal_internal_errors_total")
        for _, future in batch:
            if not future.done():
                future.set_exception(JournalUnavailable(f"journal internal error: {exc!r}"))
        try:
            self.head = await self._writer.call("max_sequence") or self.head
        except (OSError, sqlite3.Error) as error:  # the next commit's retries report the store
            log.error("cannot re-read the journal's head after an internal error", error=str(error))

    async def _commit(self, batch: list[tuple[NewEntry, asyncio.Future[int]]]) -> None:
        entries = self._entries_for(batch)
        await self._store(entries)
        self.head = entries[-1].seq
        self.tail.extend(entries)
        for (_, future), entry in zip(batch, entries):
            if not future.done():
                future.set_result(entry.seq)
        self._set_gauges()
        if self._advanced is not None and not self._advanced.done():
            self._advanced.set_result(None)
        self._advanced = None

    def _entries_for(self, batch: list[tuple[NewEntry, asyncio.Future[int]]]) -> list[Entry]:
        """Give the batch's events the next sequences and make their entries (rows)."""
        return sequenced(self.head + 1, [pending for pending, _ in batch])

    async def _store(self, entries: list[Entry]) -> None:
        """Write the entries in one transaction, retrying (with the same sequences) until it works."""
        backoff = Backoff(0.05, 2.0)
        checkpoint_due = self._events_since_checkpoint + len(entries) >= CHECKPOINT_EVERY_EVENTS
        values = list(itertools.chain.from_iterable(entries))
        while True:
            started = time.perf_counter()
            try:
                await self._writer.write(values, len(entries), checkpoint_due)
                break
            except StoreGone as exc:
                if await self._restart_store(exc, entries[-1].seq):
                    break  # the store committed the batch before it went
            except (sqlite3.Error, OSError) as exc:
                self._write_failed(exc, len(entries))
            await asyncio.sleep(backoff.failed())  # not backoff.sleep: the journal needs no reactor
        if not self.healthy:
            log.info("journal writes recovered", path=self.path)
            self.healthy, self.last_error = True, None
            self.on_health(True)
        self._observe_commit(time.perf_counter() - started, len(entries))
        self._events_since_checkpoint = 0 if checkpoint_due else self._events_since_checkpoint + len(entries)

    def _write_failed(self, exc: Exception, events: int) -> None:
        self._count("journal_write_errors_total")
        if self.healthy or str(exc) != self.last_error:
            log.error("journal write failed; events are held in memory and retried",
                      path=self.path, error=str(exc), waiting=events + len(self._pending))
        if self.healthy:
            self.on_health(False)
        self.healthy, self.last_error = False, str(exc)

    async def _restart_store(self, exc: StoreGone, last_sequence: int) -> bool:
        """Start a new store process after the last one went; True if the batch ending at
        ``last_sequence`` had been committed all the same (its reply was lost)."""
        self._write_failed(exc, 0)
        try:
            head = await self._writer.restart()
        except (OSError, sqlite3.Error) as error:
            self._write_failed(error, 0)
            return False
        log.warning("journal store process restarted", path=self.path, head_sequence=head)
        return head >= last_sequence

    # --- reading -----------------------------------------------------------------------------
    async def read_after(self, seq: int, limit: int) -> list[Entry]:
        """Up to ``limit`` entries with sequence > seq, oldest first (empty when caught up).

        Raises RetentionExceeded when events after ``seq`` were already deleted by retention.
        """
        cached = self.tail.after(seq, limit)
        if cached is not None:
            return cached
        if seq + 1 < self.earliest:
            raise RetentionExceeded(seq, self.earliest)
        if seq >= self.head:
            return []
        return await self._loop.run_in_executor(self._readers, self._read_rows, seq, limit)

    def _reader_connection(self) -> sqlite3.Connection:
        conn = getattr(self._reader_local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._reader_local.conn = conn
            self._reader_connections.append(conn)
        return conn

    def _close_readers(self) -> None:
        """Close the reader threads' connections (after the threads ended): the WAL is removed
        only when the last connection to the database closes."""
        for conn in self._reader_connections:
            conn.close()
        self._reader_connections.clear()

    def _read_rows(self, seq: int, limit: int) -> list[Entry]:
        conn = self._reader_connection()
        rows = conn.execute(
            schema.SELECT + "WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        if rows and rows[0][0] != seq + 1:
            # Retention removed what was asked for between the check and the read.
            raise RetentionExceeded(seq, rows[0][0])
        return list(map(Entry._make, rows))

    async def read_indexed_after(self, seq: int, limit: int) -> tuple[list[Entry], int]:
        """Up to ``limit`` entries of ``schema.INDEXED_CATEGORIES`` (alarm changes, audit) with
        sequence > seq, oldest first, read through their partial index: no scan of the rest.
        Returns (entries, the position read through: the last entry's sequence, or the head
        when fewer than ``limit`` were left). What retention deleted is simply absent."""
        head = self.head  # committed through here: no row at or below it is still to come
        if seq >= head:
            return [], head
        rows = await self._loop.run_in_executor(self._readers, self._read_indexed, seq, head, limit)
        return rows, (rows[-1].seq if len(rows) == limit else head)

    async def read_indexed_before(self, seq: int, limit: int) -> list[Entry]:
        """Up to ``limit`` entries of ``schema.INDEXED_CATEGORIES`` with sequence < seq, newest
        first (paging back through the audit)."""
        return await self._loop.run_in_executor(self._readers, self._read_indexed_before, seq, limit)

    def _read_indexed_before(self, seq: int, limit: int) -> list[Entry]:
        rows = self._reader_connection().execute(schema.SELECT_INDEXED_BEFORE, (seq, limit)).fetchall()
        return list(map(Entry._make, rows))

    def _read_indexed(self, seq: int, head: int, limit: int) -> list[Entry]:
        rows = self._reader_connection().execute(schema.SELECT_INDEXED, (seq, head, limit)).fetchall()
        return list(map(Entry._make, rows))

    async def entries_since(self, when: float, max_entries: int) -> list[Entry]:
        """Entries received at or after ``when`` (epoch seconds), oldest first, at most the newest
        ``max_entries`` of them: what an adapter restarting needs to know it already journaled."""
        return await self._loop.run_in_executor(self._readers, self._read_since, when, max_entries)

    def _read_since(self, when: float, max_entries: int) -> list[Entry]:
        conn = self._reader_connection()
        first = max(first_young_sequence(conn, when), self.head - max_entries + 1)
        rows = conn.execute(
            schema.SELECT + "WHERE seq >= ? ORDER BY seq", (first,)).fetchall()
        return list(map(Entry._make, rows))

    # --- named cursors -----------------------------------------------------------------------
    async def load_cursor(self, name: str) -> int | None:
        """The stored position of the named cursor, or None if there is none by that name.
        Raises CursorCorrupt if what is stored cannot be a position in this journal."""
        stored = await self._loop.run_in_executor(self._readers, self._read_cursor, name)
        if stored is None:
            return None
        if not isinstance(stored, int) or stored < 0 or stored > self.head:
            raise CursorCorrupt(name, stored, self.head)
        return stored

    def _read_cursor(self, name: str):
        row = self._reader_connection().execute("SELECT position FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    async def save_cursor(self, name: str, position: int) -> None:
        """Store the named cursor's position, as durably as the journal's events. Saves are
        written by the journal's flusher between commits, so they never contend with one."""
        if not 0 <= position <= self.head:
            raise ValueError(f"cursor {name!r}: position {position} is not in this journal (head {self.head})")
        if self._closed:
            raise JournalUnavailable("the journal is closed")
        saved = self._loop.create_future()
        self._cursor_saves[name] = (position, time.time())
        self._cursor_saved.append(saved)
        if self._flusher is None:
            self._flusher = self._loop.create_task(self._flush())
        await saved

    async def save_snapshot(self, name: str, position: int, format: str, digest: str, state: bytes) -> None:
        """Store a projection's state as of ``position`` under ``name`` (replacing the last one),
        written like cursor saves, in the same transaction as any waiting beside it (see
        hub.journal.SnapshotKeeper for what the fields mean)."""
        if not 0 <= position <= self.head:
            raise ValueError(f"snapshot {name!r}: position {position} is not in this journal (head {self.head})")
        if self._closed:
            raise JournalUnavailable("the journal is closed")
        saved = self._loop.create_future()
        self._snapshot_saves[name] = (position, format, digest, state, time.time())
        self._cursor_saved.append(saved)
        if self._flusher is None:
            self._flusher = self._loop.create_task(self._flush())
        await saved

    async def load_snapshot(self, name: str) -> tuple[int, str, str, bytes] | None:
        """(position, format, digest, state) of the snapshot stored under ``name``, or None."""
        return await self._loop.run_in_executor(self._readers, self._read_snapshot, name)

    def _read_snapshot(self, name: str):
        row = self._reader_connection().execute(
            "SELECT position, format, digest, state FROM snapshots WHERE name = ?", (name,)).fetchone()
        return None if row is None else tuple(row)

    async def _store_cursors(self) -> None:
        saves, waiters, snapshots = self._cursor_saves, self._cursor_saved, self._snapshot_saves
        self._cursor_saves, self._cursor_saved, self._snapshot_saves = {}, [], {}
        values = [value for name, (position, when) in saves.items() for value in (name, position, when)]
        rows = [(name, *snapshot) for name, snapshot in snapshots.items()]
        try:
            await self._writer.save_cursors(values, rows)
        except (sqlite3.Error, OSError) as exc:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(JournalUnavailable(f"cannot store journal cursors or snapshots: {exc}"))
            return
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def cursor_names(self) -> list[str]:
        return await self._loop.run_in_executor(
            self._readers, lambda: [row[0] for row in self._reader_connection().execute(
                "SELECT name FROM cursors ORDER BY name")])

    async def wait_beyond(self, seq: int, timeout: float | None = None) -> bool:
        """Wait until the head passes ``seq``; False on timeout."""
        if self.head > seq:
            return True
        if self._advanced is None:
            self._advanced = self._loop.create_future()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancellation that arrives as
            # the future completes (gh-86296), and a stopping consumer would go on waiting.
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._advanced)
        except TimeoutError:
            return False
        return self.head > seq

    # --- retention ---------------------------------------------------------------------------
    async def apply_retention(self, now: float | None = None) -> int:
        """Delete events beyond the age and size limits; returns how many were deleted."""
        now = time.time() if now is None else now
        self._writer.retention_running = True  # commits go to the store process, after it
        try:
            deleted, self.earliest = await self._writer.call(
                "retain", now, self.max_age, self.max_bytes, self.head)
        finally:
            self._writer.retention_running = False
        if deleted:
            log.info("journal retention deleted old events", deleted=deleted, earliest_sequence=self.earliest)
            self._count("journal_retention_deleted_total", deleted)
        self._set_gauges()
        return deleted

    # --- metrics -----------------------------------------------------------------------------
    def _count(self, name: str, amount: float = 1) -> None:
        if self.metrics is not None:
            self.metrics.journal_counter(name, amount)

    def _observe_commit(self, seconds: float, events: int) -> None:
        if self.metrics is not None:
            self.metrics.journal_commit(seconds, events)

    def _set_gauges(self) -> None:
        if self.metrics is not None:
            self.metrics.journal_state(self.head, self.earliest, len(self._pending))
