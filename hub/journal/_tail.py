"""The newest journal entries in memory, for subscribers that keep up."""
from __future__ import annotations

from collections.abc import Sequence

from hub.journal._entries import Entry


class TailCache:
    """The newest entries in memory, contiguous by sequence, for subscribers that keep up."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: list[Entry] = []
        self._base = 0  # sequence of _entries[0]

    def extend(self, entries: Sequence[Entry]) -> None:
        if self.capacity <= 0 or not entries:
            return
        if not self._entries:
            self._base = entries[0].seq
        self._entries.extend(entries)
        excess = len(self._entries) - self.capacity
        if excess > self.capacity // 4:  # trim in chunks: deleting a list prefix is O(n)
            del self._entries[:excess]
            self._base = self._entries[0].seq

    def after(self, seq: int, limit: int) -> list[Entry] | None:
        """Entries with sequence > seq, or None when seq is older than the cache holds."""
        if not self._entries or seq + 1 < self._base:
            return None
        start = seq + 1 - self._base
        return self._entries[start:start + limit]
