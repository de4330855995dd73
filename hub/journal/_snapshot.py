"""SnapshotKeeper: a projection's state kept in the journal's file beside its named cursor, so a
restart reads only the journal's tail instead of all of it.

A snapshot is the projection's state as of a journal position: what folding every retained entry
up to that position gave. Restoring it and folding the entries after it gives what a full rebuild
gives (the projections' tests check exactly that, kill -9 included). It is stored in the same
transaction as the cursor positions waiting beside it, so a crash leaves the last whole snapshot.

The state is any value ``marshal`` writes (tuples, lists, dicts, str, float ...): fast for the
millions of floats a report projection holds. It is stored with

- its *format*, a string the projection builds from a version number it raises whenever its state
  changes shape, the names of the fields it writes, and whatever in its settings changes the fold
  (a device-class override): a snapshot of another format is not read, the projection rebuilds;
- a sha256 of the bytes, checked before they are read (marshal must not see bytes it did not write).

A snapshot is refused, and the projection rebuilds, when it is of another format, does not match
its digest, lies beyond the journal's head (the journal was replaced) or is older than the
earliest retained entry (its tail is gone); each refusal is logged saying why.
"""
from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable
from typing import NamedTuple

import structlog

from hub.journal._entries import Entry
from hub.journal._journal import Journal

log = structlog.get_logger("journal")

#: Entries a projection folds between two snapshots when it is not told otherwise: a restart reads
#: at most this many more than the journal took while the hub was down.
DEFAULT_EVERY = 50_000
READ_BATCH = 2000


class Snapshot(NamedTuple):
    position: int
    state: object


def snapshot_format(name: str, version: int, *parts: object) -> str:
    """The format string of a projection's snapshots: its name and version, marshal's version,
    and a digest of ``parts`` (field names, settings that change the fold)."""
    detail = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return f"{name}/{version} marshal/{marshal.version} {detail}"


class SnapshotKeeper:
    """Loads and saves one projection's snapshots (named like its cursor)."""

    def __init__(self, journal: Journal, name: str, format: str, every: int | None = DEFAULT_EVERY) -> None:
        self.journal = journal
        self.name = name
        self.format = format
        #: Entries between two snapshots (None: only when told, see save).
        self.every = every
        #: The position of the last snapshot saved or loaded.
        self.position = 0

    async def load(self) -> Snapshot | None:
        """The stored snapshot if the projection may start from it, else None (logged why)."""
        stored = await self.journal.load_snapshot(self.name)
        if stored is None:
            return None
        position, format, digest, data = stored
        why = None
        if format != self.format:
            why = f"it is of format {format!r}, this hub writes {self.format!r}"
        elif hashlib.sha256(data).hexdigest() != digest:
            why = "its bytes do not match their digest"
        elif position > self.journal.head:
            why = f"its position {position} is beyond the journal's head {self.journal.head} (journal replaced?)"
        elif position + 1 < self.journal.earliest and position < self.journal.head:
            why = (f"the entries after its position {position} are no longer retained (earliest "
                   f"{self.journal.earliest})")
        if why is None:
            try:
                state = marshal.loads(data)
            except (ValueError, EOFError, TypeError) as exc:
                why = f"it cannot be read: {exc}"
        if why is not None:
            log.warning(f"the {self.name} snapshot is not used; rebuilding from the journal", reason=why)
            return None
        self.position = position
        return Snapshot(position, state)

    def due(self, position: int) -> bool:
        return self.every is not None and position - self.position >= self.every

    async def save(self, position: int, state: object) -> None:
        data = marshal.dumps(state)
        await self.journal.save_snapshot(self.name, position, self.format, hashlib.sha256(data).hexdigest(), data)
        self.position = position


async def fold(journal: Journal, after: int, apply: Callable[[Entry], None]) -> int:
    """Give ``apply`` every entry after ``after`` up to the journal's head as of now, oldest first;
    returns the position reached (the head, or ``after`` when nothing followed)."""
    position, head = after, journal.head
    while position < head:
        entries = await journal.read_after(position, READ_BATCH)
        if not entries:
            break
        for entry in entries:
            apply(entry)
        position = entries[-1].seq
    return position
