"""The journal's tail cache is bounded by bytes as well as by count (issue 20: a busy county hub's
200,000 cached events held ~250 MiB)."""
from __future__ import annotations

import gc
import tracemalloc

from hub.journal import Entry, NewEntry
from hub.journal import _entries
from hub.journal._entries import sequenced
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


def pending_entries(count: int) -> list:
    # Each NewEntry gets its own str objects, as protobuf's field reads give them.
    return [NewEntry(1.5, "".join(["1408", "02"]), f"sch-{i % 5}", 2, 1, "".join(["video.", "motion"]),
                     f"dev-{i % 10}", b"e" * 120, b"") for i in range(count)]


def test_journaled_entries_share_their_text_columns():
    entries = sequenced(1, pending_entries(50))
    assert entries[0].region is entries[49].region
    assert entries[0].type is entries[49].type
    assert entries[3].device is entries[13].device and entries[3].school is entries[8].school
    assert [e.device for e in entries[:3]] == ["dev-0", "dev-1", "dev-2"]


def test_the_byte_estimate_is_close_to_what_cached_entries_hold():
    # A cache that overestimates holds fewer events than its budget allows: subscribers a second
    # behind fall out of it and read the database (issue 12's throughput loss at 300,000 events).
    pending = pending_entries(20_000)
    gc.collect()
    tracemalloc.start()
    try:
        entries = sequenced(1, pending)
        cache = TailCache(capacity=1_000_000, max_bytes=1 << 30)
        cache.extend(entries)
        del entries
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0.8 < cache.bytes / held < 1.25, (cache.bytes, held)


def test_the_shared_text_table_is_bounded():
    for batch in range(5):
        sequenced(1, [NewEntry(1.0, "r", "s", 0, 0, "t", f"attacker-{batch}-{i}", b"", b"")
                      for i in range(_entries._SHARED_TEXT_LIMIT // 2)])
    assert len(_entries._SHARED_TEXT) <= _entries._SHARED_TEXT_LIMIT + _entries._SHARED_TEXT_LIMIT // 2 + 10
