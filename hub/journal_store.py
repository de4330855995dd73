"""The journal's writing side: the SQLite write connection, in a process of its own.

Why a process: SQLite's own work was a fifth of the event loop's time at full ingest, and a
writer thread is no way out, because every statement hands the GIL back and forth with the loop
(three forced switches per commit, which cost the loop more than the write itself). A process
has its own GIL. The hub sends it each large commit's rows in one message and goes on; the reply
comes back when the rows are committed. (Pipeline benchmark: 25% more events/s than commits on
the loop, which in turn beat a writer thread.) Small commits are cheaper on the loop than a
round trip to the process, so the hub writes those itself.

Protocol, over the child's stdin and stdout: each message is a 4-byte little-endian length and a
`marshal`led tuple. A request is ``(operation, arguments)``; a reply is ``(status, result, notes)``
where status is "ok", "io" (an SQLite or OS error: the disk, the file system) or "bug", and notes
are log records ``(level, message, fields)`` for the hub to log. One request is sent at a time.
The child exits when its stdin closes, so it never outlives the hub by more than a commit.

Run as ``python -m hub.journal_store``; the hub does that (see StoreProcess).
"""
from __future__ import annotations

import asyncio
import collections
import fcntl
import marshal
import os
import signal
import sqlite3
import struct
import subprocess
import sys

from hub.entries import frame

SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL", "off": "OFF"}
#: Columns of a row, in the order of Entry's fields.
COLUMNS = 9

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
-- binary search over seq (see first_young_sequence).
DROP INDEX IF EXISTS events_received_at;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: Commits of at most this many events are one INSERT statement, without BEGIN and COMMIT.
SINGLE_STATEMENT_MAX_EVENTS = 64
#: meta 'blob_format': 2 means the blob column holds framed events (see Entry).
BLOB_FORMAT = 2

_HEADER = struct.Struct("<I")
_INSERTS: dict[int, str] = {}


def _insert_statement(rows: int) -> str:
    statement = _INSERTS.get(rows)
    if statement is None:
        statement = _INSERTS[rows] = "INSERT INTO events VALUES " + ",".join(["(?,?,?,?,?,?,?,?,?)"] * rows)
    return statement


def first_young_sequence(conn: sqlite3.Connection, cutoff: float) -> int:
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


class JournalStore:
    """The write connection and everything done with it. Runs in the store process; the hub also
    keeps one attached for small commits (see Journal._store)."""

    def __init__(self, path: str, durability: str) -> None:
        self.path = path
        self.durability = durability
        self.notes: list[tuple[str, str, dict]] = []
        self._conn: sqlite3.Connection | None = None
        self._rows_per_insert = 1

    def note(self, level: str, message: str, **fields) -> None:
        self.notes.append((level, message, fields))

    def attach(self) -> None:
        """Open a write connection to the database (the store process creates it first)."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes effect on a new database
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.OperationalError(f"the file system refused WAL mode (got {mode})")
        conn.execute(f"PRAGMA synchronous={SYNCHRONOUS[self.durability]}")
        # Checkpoints run after a commit (see write), never inside one.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._conn = conn
        variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._rows_per_insert = 1 << min(10, (variables // COLUMNS).bit_length() - 1)

    def open(self) -> tuple[int, int, int | None]:
        """Open (creating) the database: (head, earliest, events to upgrade or None)."""
        self.attach()
        conn = self._conn
        conn.executescript(_SCHEMA)
        max_seq = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
        row = conn.execute("SELECT value FROM meta WHERE key='last_sequence'").fetchone()
        # The high-water mark (see retain) survives retention deleting every row.
        head = max(max_seq, row[0] if row else 0)
        min_seq = conn.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        return head, (min_seq if min_seq is not None else head + 1), self._events_to_upgrade()

    def _events_to_upgrade(self) -> int | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key='blob_format'").fetchone()
        if row is None:
            return self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        if row[0] != BLOB_FORMAT:
            raise sqlite3.DatabaseError(
                f"journal blob format {row[0]} is newer than this campus-hub understands ({BLOB_FORMAT})")
        return None

    def upgrade(self) -> int:
        """Frame the blobs of a journal written before they were stored framed (format 1)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        done, last = 0, 0
        while True:
            rows = conn.execute("SELECT seq, blob FROM events WHERE seq > ? ORDER BY seq LIMIT 10000",
                                (last,)).fetchall()
            if not rows:
                break
            conn.executemany("UPDATE events SET blob = ? WHERE seq = ?", [(frame(blob), seq) for seq, blob in rows])
            last, done = rows[-1][0], done + len(rows)
        conn.execute("INSERT INTO meta (key, value) VALUES ('blob_format', ?)", (BLOB_FORMAT,))
        conn.execute("COMMIT")
        return done

    def write(self, values: list, checkpoint: bool) -> None:
        """Commit rows given as one flat list of column values (COLUMNS per row)."""
        rows = len(values) // COLUMNS
        conn = self._conn
        if rows <= SINGLE_STATEMENT_MAX_EVENTS:
            # One statement is its own transaction: no BEGIN and COMMIT round trips.
            conn.execute(_insert_statement(rows), values)
        else:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Statement sizes are powers of two, so that few distinct statements are compiled.
                done = 0
                while done < rows:
                    left = rows - done
                    size = self._rows_per_insert if left >= self._rows_per_insert else 1 << (left.bit_length() - 1)
                    conn.execute(_insert_statement(size), values[done * COLUMNS:(done + size) * COLUMNS])
                    done += size
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        if checkpoint:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Copy the WAL into the database file, between commits.

        No commit runs meanwhile, so the checkpoint completes and the next commit writes the WAL
        from its start again: the WAL stays about one checkpoint interval large. (Run beside
        commits, a checkpoint never completes and the WAL grows with the journal.)"""
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the rows are committed; the next checkpoint tries again
            self.note("warning", "journal checkpoint failed; the next one retries", path=self.path, error=str(exc))

    def max_sequence(self) -> int | None:
        return self._conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]

    def retain(self, now: float, max_age: float | None, max_bytes: int | None, head: int) -> tuple[int, int]:
        """Delete events beyond the age and size limits: (deleted, earliest retained sequence)."""
        conn = self._conn
        # The high-water mark must outlive the rows deleted here, so sequences are never reused.
        # Only retention deletes rows, so it is recorded here rather than in every group commit,
        # where it cost a page write per commit (a quarter of the commit's cost).
        conn.execute("INSERT OR REPLACE INTO meta (key, value) "
                     "SELECT 'last_sequence', seq FROM events ORDER BY seq DESC LIMIT 1")
        deleted = 0
        if max_age:
            cut = first_young_sequence(conn, now - max_age)
            deleted += conn.execute("DELETE FROM events WHERE seq < ?", (cut,)).rowcount
        if max_bytes:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            for _ in range(64):  # shrink in steps; each step removes a share of the oldest rows
                used = (conn.execute("PRAGMA page_count").fetchone()[0]
                        - conn.execute("PRAGMA freelist_count").fetchone()[0]) * page_size
                if used <= max_bytes:
                    break
                count = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                if count <= 1:
                    break
                share = max(1, min(count - 1, int(count * (1 - max_bytes / used)) + count // 100))
                deleted += conn.execute(
                    "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?)", (share,)).rowcount
                conn.execute("PRAGMA incremental_vacuum")
        if deleted:
            conn.execute("PRAGMA incremental_vacuum")
            self.checkpoint()  # the deletions went to the WAL; commits only count events
        min_seq = conn.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        return deleted, (min_seq if min_seq is not None else head + 1)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the last connection checkpoints and removes the WAL file
            self._conn = None


_OPERATIONS = frozenset({"upgrade", "write", "checkpoint", "max_sequence", "retain", "close"})


def _send(stream, message: tuple) -> None:
    """Write one message: its length, then the marshalled tuple."""
    data = marshal.dumps(message)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def serve(requests, replies) -> None:
    """Answer requests until the hub closes the pipe or asks to close."""
    store: JournalStore | None = None
    while True:
        header = requests.read(_HEADER.size)
        if len(header) < _HEADER.size:
            break
        operation, arguments = marshal.loads(requests.read(_HEADER.unpack(header)[0]))
        try:
            if operation == "open":
                store = JournalStore(*arguments)
                result = store.open()
            elif operation in _OPERATIONS and store is not None:
                result = getattr(store, operation)(*arguments)
            else:
                raise ValueError(f"unknown journal store operation {operation!r}")
            reply = ("ok", result)
        except (sqlite3.Error, OSError) as exc:
            reply = ("io", str(exc))
        except Exception as exc:  # a bug: the hub fails the commit's appenders and goes on
            reply = ("bug", repr(exc))
        notes = store.notes if store is not None else []
        _send(replies, (*reply, notes))
        notes.clear()
        if operation == "close":
            break
    if store is not None:
        store.close()


def cpu_seconds(pid: int | str) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StoreGone(OSError):
    """The store process exited (it was killed, or it crashed)."""


class StoreProcess:
    """The hub's handle on its store process: requests in, replies (futures) out, in order."""

    def __init__(self, on_note) -> None:
        self._on_note = on_note
        self._process: subprocess.Popen | None = None
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        self._received = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._one_at_a_time = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "hub.journal_store"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))})
        requests, replies = self._process.stdin.fileno(), self._process.stdout.fileno()
        for fd in (requests, replies):
            try:  # room for a large commit in one write (Linux); the default 64 KiB also works
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except (AttributeError, OSError):
                pass
        os.set_blocking(replies, False)
        self._loop.add_reader(replies, self._read_replies)

    async def call(self, operation: str, *arguments):
        """Run an operation in the store; returns its result. Raises StoreGone, sqlite3.Error for
        "io" replies and RuntimeError for "bug" ones.

        One request at a time: the store is then always waiting for the next, so the (blocking)
        write of a large commit lasts no longer than the copy into the pipe."""
        async with self._one_at_a_time:
            if not self.running:
                raise StoreGone("the journal store process is not running")
            try:
                _send(self._process.stdin, (operation, arguments))
            except (BrokenPipeError, ValueError) as exc:
                raise StoreGone(f"the journal store process exited: {exc}") from None
            future = self._loop.create_future()
            self._waiting.append(future)
            return await future

    def _read_replies(self) -> None:
        try:
            chunk = os.read(self._process.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self._gone()
            return
        received = self._received
        received += chunk
        while len(received) >= _HEADER.size:
            size = _HEADER.unpack_from(received)[0]
            if len(received) < _HEADER.size + size:
                break
            status, result, notes = marshal.loads(received[_HEADER.size:_HEADER.size + size])
            del received[:_HEADER.size + size]
            for level, message, fields in notes:
                self._on_note(level, message, fields)
            future = self._waiting.popleft()
            if future.done():
                continue
            if status == "ok":
                future.set_result(result)
            elif status == "io":
                future.set_exception(sqlite3.OperationalError(result))
            else:
                future.set_exception(RuntimeError(f"journal store: {result}"))

    def _gone(self) -> None:
        self._loop.remove_reader(self._process.stdout.fileno())
        code = self._process.wait()
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(StoreGone(f"the journal store process exited with status {code}"))

    async def stop(self) -> None:
        """Ask the store to close (it checkpoints and removes the WAL), then reap it."""
        if self._process is None:
            return
        if self.running:
            try:
                await self.call("close")
            except StoreGone:
                pass
        if self._process.stdout is not None and not self._process.stdout.closed:
            try:
                self._loop.remove_reader(self._process.stdout.fileno())
            except ValueError:
                pass
        for pipe in (self._process.stdin, self._process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        await self._loop.run_in_executor(None, self._process.wait)
        self._process = None


#: The directory holding the hub package, so the store process imports the same code.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    # Ctrl-C in a terminal and a service manager's SIGTERM reach the whole process group: the hub
    # shuts down by committing what it holds, which needs this process. It exits when the hub
    # closes its requests pipe, whether the hub stopped cleanly or was killed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # stdout carries replies: anything else printed goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, replies)
