"""The journal's SQLite write connection and everything done with it.

The store process (hub.journal._store_server) runs one for large commits; the hub keeps one
attached on the loop for small commits (see hub.journal._writer).
"""
from __future__ import annotations

import sqlite3

from hub.journal import _schema as schema

SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL", "off": "OFF"}

#: Commits of at most this many events are one INSERT statement, without BEGIN and COMMIT.
SINGLE_STATEMENT_MAX_EVENTS = 64

#: Named positions of internal journal readers (see hub.journal.JournalCursor).
_CREATE_CURSORS = ("CREATE TABLE IF NOT EXISTS cursors "
                   "(name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at REAL NOT NULL)")
#: A projection's state as of a position, beside its cursor (see hub.journal.SnapshotKeeper).
_CREATE_SNAPSHOTS = ("CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, position INTEGER NOT NULL, "
                     "format TEXT NOT NULL, digest TEXT NOT NULL, state BLOB NOT NULL, updated_at REAL NOT NULL)")


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


def _release_free_pages(conn: sqlite3.Connection) -> None:
    """Give the deleted rows' pages back to the file system (auto_vacuum=INCREMENTAL).

    Not ``conn.execute``: Python's sqlite3 steps a statement without result columns once, and
    each step of incremental_vacuum frees one page; executescript runs it to completion."""
    conn.executescript("PRAGMA incremental_vacuum")


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
        self._rows_per_insert = 1 << min(10, (variables // schema.ROW_WIDTH).bit_length() - 1)

    def open(self) -> tuple[int, int]:
        """Open (creating) the database: (head, earliest)."""
        self.attach()
        conn = self._conn
        conn.execute(schema.CREATE_TABLE)
        conn.execute(schema.CREATE_META)
        conn.execute(_CREATE_CURSORS)
        conn.execute(_CREATE_SNAPSHOTS)
        conn.execute(schema.CREATE_INDEX)  # built once on a journal from before it
        self._check_format()
        max_seq = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
        row = conn.execute("SELECT value FROM meta WHERE key='last_sequence'").fetchone()
        # The high-water mark (see retain) survives retention deleting every row.
        head = max(max_seq, row[0] if row else 0)
        min_seq = conn.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        return head, (min_seq if min_seq is not None else head + 1)

    def _check_format(self) -> None:
        conn = self._conn
        row = conn.execute("SELECT value FROM meta WHERE key='blob_format'").fetchone()
        if row is None:
            if conn.execute(f"SELECT 1 FROM {schema.TABLE} LIMIT 1").fetchone() is not None:
                raise sqlite3.DatabaseError("the journal has events but no format marker: it was not written by "
                                            "this campus-hub; move it aside to start a new journal")
            conn.execute("INSERT INTO meta (key, value) VALUES ('blob_format', ?)", (schema.BLOB_FORMAT,))
            return
        found = row[0]
        if found != schema.BLOB_FORMAT:
            raise sqlite3.DatabaseError(
                f"journal blob format {found} is not the one this campus-hub reads ({schema.BLOB_FORMAT})")

    def write(self, values: list, checkpoint: bool) -> None:
        """Commit rows given as one flat list of column values (ROW_WIDTH per row)."""
        rows = len(values) // schema.ROW_WIDTH
        conn = self._conn
        if rows <= SINGLE_STATEMENT_MAX_EVENTS:
            # One statement is its own transaction: no BEGIN and COMMIT round trips.
            conn.execute(schema.insert_statement(rows), values)
        else:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Statement sizes are powers of two, so that few distinct statements are compiled.
                done, width = 0, schema.ROW_WIDTH
                while done < rows:
                    left = rows - done
                    size = self._rows_per_insert if left >= self._rows_per_insert else 1 << (left.bit_length() - 1)
                    conn.execute(schema.insert_statement(size), values[done * width:(done + size) * width])
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

    def save_cursors(self, positions: list, snapshots: list = ()) -> None:
        """Store named reader positions, given flat as name, position, time (see JournalCursor),
        and projection snapshots (rows of name, position, format, digest, state, time), in one
        transaction: a crash leaves every one of them as it was or as it is now."""
        rows = [positions[i:i + 3] for i in range(0, len(positions), 3)]
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO cursors (name, position, updated_at) VALUES (?, ?, ?)", rows)
            conn.executemany("INSERT OR REPLACE INTO snapshots (name, position, format, digest, state, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", snapshots)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

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
                _release_free_pages(conn)
        if deleted:
            _release_free_pages(conn)
            self.checkpoint()  # the deletions went to the WAL; commits only count events
        min_seq = conn.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        return deleted, (min_seq if min_seq is not None else head + 1)

    def close(self) -> None:
        if self._conn is not None:
            # Only the last connection to close checkpoints and removes the WAL (see Journal.close).
            self._conn.close()
            self._conn = None
