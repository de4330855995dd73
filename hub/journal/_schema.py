"""The journal's row, defined once: the table, the INSERT placeholders, the row width and the
SELECT all come from COLUMNS, and so do the fields of :class:`hub.journal.Entry`."""
from __future__ import annotations

import dataclasses
import functools


@dataclasses.dataclass(frozen=True)
class Column:
    field: str  # the Entry field
    sql_name: str  # the column in SQLite (kept as journals on disk have it)
    sql_type: str
    python_type: type


COLUMNS = (
    Column("seq", "seq", "INTEGER PRIMARY KEY", int),
    Column("received_at", "received_at", "REAL NOT NULL", float),
    Column("region", "region", "TEXT NOT NULL", str),
    Column("school", "school", "TEXT NOT NULL", str),
    Column("category", "category", "INTEGER NOT NULL", int),
    Column("severity", "severity", "INTEGER NOT NULL", int),
    Column("type", "type", "TEXT NOT NULL", str),
    Column("device", "device", "TEXT NOT NULL", str),
    # The event framed for the wire (see hub.journal.Entry).
    Column("framed", "blob", "BLOB NOT NULL", bytes),
)
#: Values in one row.
ROW_WIDTH = len(COLUMNS)
#: The columns subscribers filter on: every column between the sequence and the event itself.
FILTER_COLUMNS = COLUMNS[1:-1]

TABLE = "events"
CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                + ", ".join(f"{column.sql_name} {column.sql_type}" for column in COLUMNS) + ")")
SELECT = "SELECT " + ", ".join(column.sql_name for column in COLUMNS) + f" FROM {TABLE} "

#: Categories with a partial index: few rows that are read often without the rest (alarm changes,
#: 11, linkage's actions and their snapshots, 12, and the audit of alarm commands, 14), so the
#: alarm table is rebuilt without a scan of the journal. The index costs nothing when other events
#: are written.
INDEXED_CATEGORIES = (11, 12, 14)
_INDEXED = ", ".join(map(str, INDEXED_CATEGORIES))
CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS events_indexed_categories ON {TABLE} (seq) WHERE category IN ({_INDEXED})"
#: Entries of INDEXED_CATEGORIES after a sequence (the literal IN list lets SQLite use the partial index).
SELECT_INDEXED = SELECT + f"WHERE category IN ({_INDEXED}) AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
SELECT_INDEXED_BEFORE = SELECT + f"WHERE category IN ({_INDEXED}) AND seq < ? ORDER BY seq DESC LIMIT ?"

#: meta 'blob_format': 2 means the blob column holds framed events. Written when the journal is
#: created; a journal of another format is refused.
BLOB_FORMAT = 2
CREATE_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)"

_ROW_PLACEHOLDERS = "(" + ",".join("?" * ROW_WIDTH) + ")"


@functools.cache
def insert_statement(rows: int) -> str:
    """One INSERT of ``rows`` rows (the values flat, ROW_WIDTH per row)."""
    return f"INSERT INTO {TABLE} VALUES " + ",".join([_ROW_PLACEHOLDERS] * rows)
