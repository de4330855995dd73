"""Where a commit is written: on the event loop or by the store process, decided in one place.

Small commits (an SIA alarm waiting for its ACK) are written by the hub itself on the loop: a round
trip to the store process costs more than the write (tens of microseconds). Large ones, which
only come under load, go to the store process, which has its own GIL; so do checkpoints and
everything that runs while retention holds the database, and every commit when durability is
"full" (an fsync must not stall the loop).
"""
from __future__ import annotations

from hub.journal._store import JournalStore
from hub.journal._store_process import StoreProcess

#: Commits of at most this many events are written on the loop.
INLINE_COMMIT_MAX_EVENTS = 64


class JournalWriter:
    """The journal's one way to write its file."""

    def __init__(self, path: str, durability: str, on_note) -> None:
        self.path = path
        self.durability = durability
        self._process = StoreProcess(on_note)
        self._inline: JournalStore | None = None
        #: True while retention runs in the store process: commits queue behind it there.
        self.retention_running = False

    @property
    def pid(self) -> int | None:
        """The store process's id (for monitoring)."""
        return self._process.pid

    async def open(self) -> tuple[int, int]:
        """Create or open the database: (head, earliest)."""
        head, earliest = await self._start_process()
        if self.durability != "full":
            self._inline = JournalStore(self.path, self.durability)
            self._inline.attach()
        return head, earliest

    async def _start_process(self) -> tuple[int, int]:
        self._process.start()
        head, earliest = await self._process.call("open", self.path, self.durability)
        return head, earliest

    async def write(self, values: list, events: int, checkpoint: bool) -> None:
        """Commit one batch's rows (flat values). Raises StoreGone when the store process went
        (see restart), sqlite3.Error or OSError for I/O errors (retry later)."""
        if (self._inline is not None and events <= INLINE_COMMIT_MAX_EVENTS and not checkpoint
                and not self.retention_running):
            self._inline.write(values, False)
        else:
            await self._process.call("write", values, checkpoint)

    async def save_cursors(self, values: list, snapshots: list = ()) -> None:
        """Store named cursor positions (flat name, position, time triples) and projection
        snapshots (see JournalStore.save_cursors). Snapshots go to the store process: a large
        blob's write must not stall the loop."""
        if self._inline is not None and not self.retention_running and not snapshots:
            self._inline.save_cursors(values)
        else:
            await self._process.call("save_cursors", values, list(snapshots))

    async def restart(self) -> int:
        """Start a new store process after the last one went; returns the head on disk (a batch
        whose reply was lost may have been committed all the same)."""
        await self._process.stop()
        head, _ = await self._start_process()
        return head

    async def call(self, operation: str, *arguments):
        """Run a store operation in the store process (retention, head, cursors)."""
        return await self._process.call(operation, *arguments)

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        await self._process.stop()  # last (readers and the inline store closed): it removes the WAL

