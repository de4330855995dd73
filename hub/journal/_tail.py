"""The newest journal entries in memory, for subscribers that keep up."""
from __future__ import annotations

import sys
from collections.abc import Sequence

from hub.journal._entries import Entry

#: The default memory budget of the cache. 200,000 county events (~1.3 KiB each with their
#: columns) held ~250 MiB once a busy hub had run for a quarter of an hour; this many bytes keep
#: well over a minute of a county's 200 events/s, which is what a subscriber that keeps up needs.
DEFAULT_MAX_BYTES = 48 << 20


class TailCache:
    """The newest entries in memory, contiguous by sequence, for subscribers that keep up; at most
    ``capacity`` entries and about ``max_bytes`` of them."""

    def __init__(self, capacity: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.capacity, self.max_bytes = capacity, max_bytes
        self._entries: list[Entry] = []
        self._sizes: list[int] = []
        self._base = 0  # sequence of _entries[0]
        self.bytes = 0

    def extend(self, entries: Sequence[Entry]) -> None:
        if self.capacity <= 0 or not entries:
            return
        if not self._entries:
            self._base = entries[0].seq
        self._entries.extend(entries)
        sizes = [_ENTRY_OVERHEAD + len(entry.framed) for entry in entries]
        self._sizes.extend(sizes)
        self.bytes += sum(sizes)
        excess = len(self._entries) - self.capacity
        over_budget = self.bytes > self.max_bytes * 1.25  # then drop the oldest down to the budget
        if over_budget:
            dropped, index = 0, 0
            while self.bytes - dropped > self.max_bytes and index < len(self._sizes) - 1:
                dropped += self._sizes[index]
                index += 1
            excess = max(excess, index)
        if excess > self.capacity // 4 or over_budget:
            # trimmed in chunks: deleting a list prefix is O(n)
            self.bytes -= sum(self._sizes[:excess])
            del self._entries[:excess]
            del self._sizes[:excess]
            self._base = self._entries[0].seq

    def after(self, seq: int, limit: int) -> list[Entry] | None:
        """Entries with sequence > seq, or None when seq is older than the cache holds."""
        if not self._entries or seq + 1 < self._base:
            return None
        start = seq + 1 - self._base
        return self._entries[start:start + limit]


#: Bytes an entry holds besides its frame: its tuple, its sequence and time, the frame's header, and
#: allocator rounding (one number for all: on the commit path, a function call per entry costs more
#: than the estimate gains). Its text columns are shared between entries (see _entries.sequenced).
_ENTRY_OVERHEAD = (sys.getsizeof(tuple(range(len(Entry._fields)))) + sys.getsizeof(1 << 40)
                   + sys.getsizeof(0.5) + sys.getsizeof(b"") + 24)
