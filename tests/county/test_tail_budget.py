"""The journal's tail cache is bounded by bytes as well as by count (issue 20: a busy county hub's
200,000 cached events held ~250 MiB)."""
from __future__ import annotations

from hub.journal import Entry
from hub.journal._tail import TailCache


def entry(seq: int, size: int) -> Entry:
    fields = {name: 0 for name in Entry._fields}
    fields.update(seq=seq, framed=b"x" * size)
    return Entry(**{name: fields[name] for name in Entry._fields})


def test_the_cache_keeps_the_newest_entries_within_its_byte_budget():
    cache = TailCache(capacity=1_000_000, max_bytes=100_000)
    for seq in range(1, 2001):
        cache.extend([entry(seq, 1000)])
    assert cache.bytes <= 125_000
    newest = cache.after(1999, 10)
    assert [e.seq for e in newest] == [2000]
    assert cache.after(10, 10) is None  # the oldest were dropped: a subscriber there reads the database
    first = cache.after(cache._base - 1, 1)[0].seq
    assert [e.seq for e in cache.after(first - 1, 5000)] == list(range(first, 2001))  # contiguous


def test_a_cache_within_its_budget_is_bounded_by_count():
    cache = TailCache(capacity=100, max_bytes=1 << 30)
    for seq in range(1, 1001):
        cache.extend([entry(seq, 10)])
    assert len(cache.after(0, 10_000) or cache._entries) <= 125
    assert cache.after(999, 1)[0].seq == 1000
