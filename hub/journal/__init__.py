"""The durable event journal (SQLite, WAL, group commit, gap-free sequences) and how to read it.

``Journal`` takes events and gives each a sequence once it is durable; ``JournalCursor`` is how
internal consumers read it, with an optional named position stored in the journal's file.
``Entry`` is a journaled event as stored and served (columns plus the event framed for the wire).
"""
from hub.journal._cursor import JournalCursor
from hub.journal._entries import Entry, NewEntry, frame, new_entry_for_event, sequenced, site_field, varint
from hub.journal._journal import (
    CHECKPOINT_EVERY_EVENTS,
    CursorCorrupt,
    CursorError,
    CursorNotFound,
    Journal,
    JournalUnavailable,
    RetentionExceeded,
)
from hub.journal._store import SYNCHRONOUS

__all__ = ["CHECKPOINT_EVERY_EVENTS", "SYNCHRONOUS", "CursorCorrupt", "CursorError", "CursorNotFound", "Entry",
           "Journal", "JournalCursor", "JournalUnavailable", "NewEntry", "RetentionExceeded", "frame",
           "new_entry_for_event", "sequenced", "site_field", "varint"]
