"""The durable event journal: SQLite in WAL mode, group commit, retention, replay.

One writer thread owns the write connection; the event loop hands it batches. Everything that
arrives while a commit is in flight goes into the next commit ("group commit"), so the journal
keeps up with bursts without one transaction per event. A sequence becomes visible (to
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

from hub.entries import Entry, NewEntry, TailCache, frame, new_entry, new_entry_for_event, sequenced
from hub.events import Event

log = structlog.get_logger("journal")

SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL", "off": "OFF"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    region TEXT NOT NULL,
    school TEXT NOT NULL,
    category INTEGER NOT NULL,
    severity INTEGER NOT NULL,
    type TEXT NOT NULL,
    device TEXT NOT NULL,
    blob BLOB NOT NULL
);
-- No index on received_at: it would cost every commit a second page (a third of a small
-- commit's time). Sequences are assigned in arrival order, so age retention finds its cut by
-- binary search over seq (see _first_young_sequence).
DROP INDEX IF EXISTS events_received_at;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class JournalUnavailable(RuntimeError):
    """The journal cannot take more events (write failures with a full backlog, or closed)."""


class RetentionExceeded(LookupError):
    """A reader asked for events older than the oldest one still retained."""

    def __init__(self, after: int, earliest: int) -> None:
        super().__init__(
            f"events after sequence {after} are no longer retained: the earliest retained "
            f"sequence is {earliest}; resume from the earliest or from now"
        )
        self.after = after
        self.earliest = earliest


def _insert_statement(rows: int) -> str:
    statement = _INSERTS.get(rows)
    if statement is None:
        statement = _INSERTS[rows] = "INSERT INTO events VALUES " + ",".join(["(?,?,?,?,?,?,?,?,?)"] * rows)
    return statement


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


#: Commits of at most this many events are one INSERT statement, without BEGIN and COMMIT.
SINGLE_STATEMENT_MAX_EVENTS = 64
#: Events between WAL checkpoints (about 1,000 WAL pages, SQLite's own default).
CHECKPOINT_EVERY_EVENTS = 8000

_INSERTS: dict[int, str] = {}
_SELECT_ENTRIES = "SELECT seq, received_at, region, school, category, severity, type, device, blob FROM events "
#: meta 'blob_format': 2 means the blob column holds framed events (see Entry).
_BLOB_FORMAT = 2


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
        self._writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-writer")
        self._readers = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="journal-reader")
        self._reader_local = threading.local()
        self._write_conn: sqlite3.Connection | None = None
        self._rows_per_insert = 1  # set from the database's limits when opened
        #: Without an fsync per commit, commits run on the loop itself. A commit writes to the
        #: OS's page cache (about 2.5 µs per event) and takes no longer than the writer thread
        #: would, while the thread's GIL hand-offs cost the loop more than the whole write: three
        #: per commit, each a forced switch that stalls the loop for up to the switch interval
        #: (measured: 3.6 µs of loop time lost per event written, 10-15% of the pipeline's
        #: throughput). Inline commits also keep themselves small: no event arrives while one runs.
        self._inline_commits = durability != "full"
        self._retention_running = False
        self._events_since_checkpoint = 0
        self._pending: list[tuple[NewEntry, asyncio.Future[int]]] = []
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
            self.head, self.earliest = await self._loop.run_in_executor(self._writer, self._open_writer)
        except (OSError, sqlite3.Error) as exc:
            raise JournalUnavailable(f"cannot open the journal at {self.path}: {exc}; {_diagnose(directory)}") from exc
        log.info("journal opened", path=self.path, durability=self.durability,
                 head_sequence=self.head, earliest_sequence=self.earliest)
        self._set_gauges()

    def _open_writer(self) -> tuple[int, int]:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes effect on a new database
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.OperationalError(f"the file system refused WAL mode (got {mode})")
        conn.execute(f"PRAGMA synchronous={SYNCHRONOUS[self.durability]}")
        # Checkpoints run in the writer thread after a commit (_write_rows_and_checkpoint),
        # never inside a commit, which may run on the event loop.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.executescript(_SCHEMA)
        self._write_conn = conn
        variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._rows_per_insert = 1 << min(10, (variables // len(Entry._fields)).bit_length() - 1)
        self._upgrade_blob_format(conn)
        max_seq = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
        row = conn.execute("SELECT value FROM meta WHERE key='last_sequence'").fetchone()
        # The high-water mark (see _retain) survives retention deleting every row.
        head = max(max_seq, row[0] if row else 0)
        min_seq = conn.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        return head, (min_seq if min_seq is not None else head + 1)

    def _upgrade_blob_format(self, conn: sqlite3.Connection) -> None:
        """Frame the blobs of a journal written before they were stored framed (format 1)."""
        row = conn.execute("SELECT value FROM meta WHERE key='blob_format'").fetchone()
        if row is not None:
            if row[0] != _BLOB_FORMAT:
                raise sqlite3.DatabaseError(
                    f"journal blob format {row[0]} is newer than this campus-hub understands ({_BLOB_FORMAT})")
            return
        count = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        if count:
            log.warning("upgrading the journal's event format; this runs once", path=self.path, events=count)
        conn.execute("BEGIN IMMEDIATE")
        done, last = 0, 0
        while True:
            rows = conn.execute("SELECT seq, blob FROM events WHERE seq > ? ORDER BY seq LIMIT 10000",
                                (last,)).fetchall()
            if not rows:
                break
            conn.executemany("UPDATE events SET blob = ? WHERE seq = ?", [(frame(blob), seq) for seq, blob in rows])
            last, done = rows[-1][0], done + len(rows)
            if done % 100_000 < len(rows):
                log.info("journal format upgrade in progress", upgraded=done, of=count)
        conn.execute("INSERT INTO meta (key, value) VALUES ('blob_format', ?)", (_BLOB_FORMAT,))
        conn.execute("COMMIT")

    async def close(self) -> None:
        """Commit what is pending, then close. Appends after this fail."""
        self._closed = True
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        loop = asyncio.get_running_loop()
        if self._write_conn is not None:
            # Closing the last connection checkpoints and removes the WAL file.
            await loop.run_in_executor(self._writer, self._write_conn.close)
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        if self._advanced is not None and not self._advanced.done():
            self._advanced.set_result(None)

    @property
    def closed(self) -> bool:
        return self._closed

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
            while self._pending:
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
        self.head = await self._loop.run_in_executor(self._writer, self._max_sequence)

    def _max_sequence(self) -> int:
        return self._write_conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or self.head

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
        delay = 0.05
        checkpoint_due = self._events_since_checkpoint + len(entries) >= CHECKPOINT_EVERY_EVENTS
        while True:
            started = time.perf_counter()
            try:
                if checkpoint_due:  # a checkpoint syncs the files: never on the loop
                    await self._loop.run_in_executor(self._writer, self._write_rows_and_checkpoint, entries)
                elif self._inline_commits and not self._retention_running:
                    self._write_rows(entries)
                else:
                    await self._loop.run_in_executor(self._writer, self._write_rows, entries)
                break
            except (sqlite3.Error, OSError) as exc:
                self._count("journal_write_errors_total")
                if self.healthy or str(exc) != self.last_error:
                    log.error("journal write failed; events are held in memory and retried",
                              path=self.path, error=str(exc), waiting=len(entries) + len(self._pending))
                if self.healthy:
                    self.on_health(False)
                self.healthy, self.last_error = False, str(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        if not self.healthy:
            log.info("journal writes recovered", path=self.path)
            self.healthy, self.last_error = True, None
            self.on_health(True)
        self._observe_commit(time.perf_counter() - started, len(entries))
        self._events_since_checkpoint = 0 if checkpoint_due else self._events_since_checkpoint + len(entries)

    def _write_rows(self, entries: list[Entry]) -> None:
        conn = self._write_conn
        if len(entries) <= SINGLE_STATEMENT_MAX_EVENTS:
            # One statement is its own transaction: no BEGIN and COMMIT round trips.
            conn.execute(_insert_statement(len(entries)), list(itertools.chain.from_iterable(entries)))
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement, values in self._inserts(entries):
                conn.execute(statement, values)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _inserts(self, entries: list[Entry]):
        """Multi-row INSERT statements covering ``entries``.

        sqlite3 releases the GIL for every statement step. With executemany that is once per
        row, and each time the writer waits for a busy event loop to hand the GIL back (up to the
        switch interval): about 400 µs per row under load, against 6 µs per row with a thousand
        rows per statement. Sizes are powers of two so that few distinct statements are compiled.
        """
        chunk, done, total = self._rows_per_insert, 0, len(entries)
        while done < total:
            size = chunk if total - done >= chunk else 1 << ((total - done).bit_length() - 1)
            yield _insert_statement(size), list(itertools.chain.from_iterable(entries[done:done + size]))
            done += size

    def _write_rows_and_checkpoint(self, entries: list[Entry]) -> None:
        self._write_rows(entries)
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file (in the writer thread, between commits).

        No commit runs meanwhile (the flusher awaits this one), so the checkpoint completes and
        the next commit writes the WAL from its start again: the WAL stays about as large as
        CHECKPOINT_EVERY_EVENTS events. (Run beside commits, a checkpoint never completes and
        the WAL grows with the journal.)"""
        try:
            self._write_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the rows are committed; the next checkpoint tries again
            log.warning("journal checkpoint failed; the next one retries", path=self.path, error=str(exc))

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
        return conn

    def _read_rows(self, seq: int, limit: int) -> list[Entry]:
        conn = self._reader_connection()
        rows = conn.execute(
            _SELECT_ENTRIES + "WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        if rows and rows[0][0] != seq + 1 and seq + 1 >= 1:
            # Retention removed what was asked for between the check and the read.
            raise RetentionExceeded(seq, rows[0][0])
        return [new_entry(Entry, row) for row in rows]

    async def entries_since(self, when: float, max_entries: int) -> list[Entry]:
        """Entries received at or after ``when`` (epoch seconds), oldest first, at most the newest
        ``max_entries`` of them: what an adapter restarting needs to know it already journaled."""
        return await self._loop.run_in_executor(self._readers, self._read_since, when, max_entries)

    def _read_since(self, when: float, max_entries: int) -> list[Entry]:
        conn = self._reader_connection()
        first = max(self._first_young_sequence(conn, when), self.head - max_entries + 1)
        rows = conn.execute(
            _SELECT_ENTRIES + "WHERE seq >= ? ORDER BY seq", (first,)).fetchall()
        return [new_entry(Entry, row) for row in rows]

    async def wait_beyond(self, seq: int, timeout: float | None = None) -> bool:
        """Wait until the head passes ``seq``; False on timeout."""
        if self.head > seq:
            return True
        if self._advanced is None:
            self._advanced = self._loop.create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._advanced), timeout)
        except TimeoutError:
            return False
        return self.head > seq

    # --- retention ---------------------------------------------------------------------------
    async def apply_retention(self, now: float | None = None) -> int:
        """Delete events beyond the age and size limits; returns how many were deleted."""
        now = time.time() if now is None else now
        self._retention_running = True  # commits go to the writer thread, after it
        try:
            deleted = await self._loop.run_in_executor(self._writer, self._retain, now)
        finally:
            self._retention_running = False
        if deleted:
            log.info("journal retention deleted old events", deleted=deleted, earliest_sequence=self.earliest)
            self._count("journal_retention_deleted_total", deleted)
        self._set_gauges()
        return deleted

    def _retain(self, now: float) -> int:
        conn = self._write_conn
        # The high-water mark must outlive the rows deleted here, so sequences are never reused.
        # Only retention deletes rows, so it is recorded here rather than in every group commit,
        # where it cost a page write per commit (a quarter of the commit's cost).
        conn.execute("INSERT OR REPLACE INTO meta (key, value) "
                     "SELECT 'last_sequence', seq FROM events ORDER BY seq DESC LIMIT 1")
        deleted = 0
        if self.max_age:
            cut = self._first_young_sequence(conn, now - self.max_age)
            deleted += conn.execute("DELETE FROM events WHERE seq < ?", (cut,)).rowcount
        if self.max_bytes:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            for _ in range(64):  # shrink in steps; each step removes a share of the oldest rows
                used = (conn.execute("PRAGMA page_count").fetchone()[0]
                        - conn.execute("PRAGMA freelist_count").fetchone()[0]) * page_size
                if used <= self.max_bytes:
                    break
                count = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                if count <= 1:
                    break
                share = max(1, min(count - 1, int(count * (1 - self.max_bytes / used)) + count // 100))
                deleted += conn.execute(
                    "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?)", (share,)).rowcount
                conn.execute("PRAGMA incremental_vacuum")
        if deleted:
            conn.execute("PRAGMA incremental_vacuum")
            self._checkpoint()  # the deletions went to the WAL; commits only count events
        min_seq = conn.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        self.earliest = min_seq if min_seq is not None else self.head + 1
        return deleted

    @staticmethod
    def _first_young_sequence(conn: sqlite3.Connection, cutoff: float) -> int:
        """The first sequence received at or after ``cutoff``; beyond every retained one if none.

        Receive times follow sequence order (both are taken in arrival order); if the clock was
        set back, events around the jump are kept or dropped together with their neighbours."""
        low, high = conn.execute("SELECT MIN(seq), MAX(seq) FROM events").fetchone()
        if low is None:
            return 1 << 62  # nothing retained: nothing is young
        high += 1
        while low < high:
            middle = (low + high) // 2
            # The first row at or after `middle` (rows may be missing after a failed commit).
            row = conn.execute("SELECT seq, received_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1",
                               (middle,)).fetchone()
            if row[1] < cutoff:
                low = row[0] + 1
            else:
                high = middle
        return low

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
