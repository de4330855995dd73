"""The durable event journal (SQLite, WAL, group commit, gap-free sequences) and how to read it.

``Journal`` takes events and gives each a sequence once it is durable; ``JournalCursor`` is how
internal consumers read it, with an optional named position stored in the journal's file.
``Entry`` is a journaled event as stored and served (columns plus the event framed for the wire).
``SnapshotKeeper`` keeps a projection's state beside its cursor, so a restart folds only the tail.

The names are imported when first used (PEP 562): the journal store process
(``python -m hub.journal._store_server``) needs only the SQLite side, and importing the event
model and the rest with it cost that process 18 MB.
"""
import importlib

_PUBLIC = {
    "JournalCursor": "_cursor",
    "Entry": "_entries", "NewEntry": "_entries", "frame": "_entries", "new_entry_for_event": "_entries",
    "sequenced": "_entries", "site_field": "_entries", "varint": "_entries",
    "CHECKPOINT_EVERY_EVENTS": "_journal", "CursorCorrupt": "_journal", "CursorError": "_journal",
    "CursorNotFound": "_journal", "Journal": "_journal", "JournalUnavailable": "_journal",
    "RetentionExceeded": "_journal",
    "SYNCHRONOUS": "_store",
    "DEFAULT_EVERY": "_snapshot", "Snapshot": "_snapshot", "SnapshotKeeper": "_snapshot", "fold": "_snapshot", "snapshot_format": "_snapshot",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'hub.journal' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hub.journal.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
