"""JournalCursor: how an internal consumer (a projection, an uplink, a subscriber's stream) reads
the journal.

A cursor is a position: the sequence of the last entry its consumer took. ``read`` returns what
follows and moves the position past it; ``wait`` waits until there is more. A *named* cursor keeps
its position in the journal's file (``commit``), so a consumer restarted after a crash, kill -9
included, resumes where it last committed. A consumer commits after it has done its work with the
entries (applied them to its table, had them acknowledged upstream), so nothing is skipped; what
was read after the last commit is read again.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import structlog

from hub.journal._entries import Entry
from hub.journal._journal import CursorNotFound, Journal, RetentionExceeded

log = structlog.get_logger("journal")


class JournalCursor:
    """A position in ``journal`` (see the module docstring). Build one with :meth:`at` (unnamed)
    or :meth:`named` (persisted)."""

    def __init__(self, journal: Journal, position: int, name: str | None = None) -> None:
        self.journal = journal
        #: Sequence of the last entry taken; the next read returns what follows it.
        self.position = position
        self.name = name

    @classmethod
    def at(cls, journal: Journal, position: int) -> JournalCursor:
        """An unnamed cursor after ``position`` (``journal.head`` for "from now")."""
        return cls(journal, position)

    @classmethod
    async def named(cls, journal: Journal, name: str, *, create_at: int | None = None) -> JournalCursor:
        """The cursor stored under ``name``. If there is none, one is created at ``create_at``
        (a sequence: 0 for the start of the journal, ``journal.head`` for now), or
        CursorNotFound is raised when ``create_at`` is None. Raises CursorCorrupt when what is
        stored is no position in this journal."""
        if not name or len(name) > 200:
            raise ValueError(f"a cursor name is 1..200 characters, got {len(name)}")
        position = await journal.load_cursor(name)
        if position is None:
            if create_at is None:
                raise CursorNotFound(name, await journal.cursor_names())
            position = create_at
            cursor = cls(journal, position, name)
            await cursor.commit()
            return cursor
        return cls(journal, position, name)

    async def read(self, limit: int = 2000) -> list[Entry]:
        """Up to ``limit`` entries after the position, oldest first (empty when caught up), and
        the position moves past them. Raises RetentionExceeded when entries after the position
        were deleted by retention (the consumer decides: rebuild from ``journal.earliest``, or
        report what was lost)."""
        entries = await self.journal.read_after(self.position, limit)
        if entries:
            self.position = entries[-1].seq
        return entries

    async def batches(self, limit: int, lost: str) -> AsyncIterator[list[Entry]]:
        """Every batch of entries after the position, waiting for more, until the journal closes:
        the loop of a projection that follows the journal. A position that fell out of retention
        is logged as an error (``lost`` says what that cost the consumer) and reading goes on from
        the earliest retained entry."""
        while True:
            try:
                entries = await self.read(limit)
            except RetentionExceeded as exc:
                log.error(f"the {self.name or 'unnamed'} cursor fell out of retention; {lost}", error=str(exc))
                self.position = self.journal.earliest - 1
                continue
            if entries:
                yield entries
            elif not await self.wait(timeout=5.0) and self.journal.closed:
                return

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait until the journal has entries after the position; False on timeout or close."""
        return await self.journal.wait_beyond(self.position, timeout)

    @property
    def lag(self) -> int:
        """Entries journaled after the position."""
        return self.journal.head - self.position

    def check_retained(self) -> None:
        """Raise RetentionExceeded if entries after the position are no longer retained."""
        if self.position + 1 < self.journal.earliest and self.position < self.journal.head:
            raise RetentionExceeded(self.position, self.journal.earliest)

    async def commit(self, position: int | None = None) -> None:
        """Store the position (or ``position``, one the consumer has finished with) under the
        cursor's name."""
        if self.name is None:
            raise ValueError("an unnamed cursor has nothing to commit; use JournalCursor.named")
        await self.journal.save_cursor(self.name, self.position if position is None else position)
