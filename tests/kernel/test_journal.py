"""The journal on real SQLite files: group commit, replay, retention, crash and full-disk behaviour."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from hub.events import Category, Event, Severity, new_event, stamp_received
from hub.journal import Entry, Journal, JournalUnavailable, RetentionExceeded
from hub.spi.testing import eventually
from tests.subscribing import collect


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def event(n: int, device: str = "dev-1") -> Event:
    e = new_event(device_id=device, type="system.test", category=Category.CATEGORY_SYSTEM,
                  severity=Severity.SEVERITY_INFO, attributes={"n": n}, raw_protocol="test",
                  raw_data=os.urandom(64))
    stamp_received(e)
    return e


async def test_sequences_are_gap_free_across_group_commits(tmp_path):
    journal = Journal(str(tmp_path / "j.db"), max_events_per_commit=100)
    await journal.open()
    sequences = await asyncio.gather(*[journal.append(event(i)) for i in range(1050)])
    assert sequences == list(range(1, 1051))
    entries = await journal.read_after(1000, 100)
    assert [e.seq for e in entries] == list(range(1001, 1051))
    assert entries[0].event().attributes["n"] == "1000"
    await journal.close()
    reopened = Journal(str(tmp_path / "j.db"), tail_cache_events=0)
    await reopened.open()
    assert reopened.head == 1050
    from_disk = await reopened.read_after(0, 5000)
    assert [e.seq for e in from_disk] == list(range(1, 1051))
    assert await reopened.append(event(9999)) == 1051
    await reopened.close()


async def test_retention_by_age_and_size_and_no_sequence_reuse(tmp_path):
    max_bytes = 200_000
    journal = Journal(str(tmp_path / "j.db"), max_age=3600, max_bytes=max_bytes, tail_cache_events=0)
    unretained = Journal(str(tmp_path / "unretained.db"))  # the same events, no retention
    await journal.open()
    await unretained.open()
    old = [event(i) for i in range(100)]
    for e in old:
        e.received_at.seconds -= 7200  # two hours old
    young = [event(i) for i in range(3000)]
    for target in (journal, unretained):
        await asyncio.gather(*[target.append(e) for e in old])
        await asyncio.gather(*[target.append(e) for e in young])
    deleted = await journal.apply_retention()
    assert deleted > 100  # the old ones, and then the oldest young ones for the size bound
    assert journal.earliest == deleted + 1
    with pytest.raises(RetentionExceeded) as err:
        await journal.read_after(0, 10)
    assert "earliest retained sequence" in str(err.value)
    remaining = await journal.read_after(journal.earliest - 1, 10_000)
    assert remaining[0].seq == journal.earliest and remaining[-1].seq == 3100
    await journal.close()
    await unretained.close()
    size, size_unretained = os.path.getsize(tmp_path / "j.db"), os.path.getsize(tmp_path / "unretained.db")
    # The bound means something only if the events without retention exceed it (several times).
    assert size_unretained > 3 * max_bytes, size_unretained
    # SQLite pages are not filled to the last byte: some slack above the bound.
    assert size <= max_bytes * 1.1, (size, max_bytes)
    # Retention of everything must not let sequences restart.
    journal = Journal(str(tmp_path / "j.db"), max_age=1e-9)
    await journal.open()
    await journal.apply_retention(now=time.time() + 10)
    assert await journal.append(event(0)) == 3101
    await journal.close()


async def test_sequences_continue_after_a_reopen_when_retention_deleted_everything(tmp_path):
    journal = Journal(str(tmp_path / "j.db"), max_age=3600)
    await journal.open()
    await asyncio.gather(*[journal.append(event(i)) for i in range(50)])
    journal.max_age = 1e-9
    assert await journal.apply_retention(now=time.time() + 10) == 50
    await journal.close()
    reopened = Journal(str(tmp_path / "j.db"))
    await reopened.open()
    assert (reopened.head, reopened.earliest) == (50, 51)
    assert await reopened.append(event(0)) == 51
    await reopened.close()


async def test_unopenable_journal_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    journal = Journal(str(blocker / "j.db"))
    with pytest.raises(JournalUnavailable) as err:
        await journal.open()
    assert "cannot open the journal" in str(err.value) and "is not a directory" in str(err.value)


@contextlib.contextmanager
def small_tmpfs(path, size):
    path.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       check=True, capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a small tmpfs to fill up (needs root): {exc}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_full_disk_holds_events_and_loses_nothing_journaled(tmp_path):
    with small_tmpfs(tmp_path / "small", "256k") as mount:
        journal = Journal(str(mount / "j.db"), max_events_per_commit=50)
        await journal.open()
        acked = []
        pending = []
        for i in range(4000):
            future = journal.append(event(i))
            pending.append(future)
            if i % 50 == 49:
                done, _ = await asyncio.wait(pending, timeout=0.5)
                if len(done) < len(pending):
                    break  # the disk is full: appends stay pending
                acked.extend(f.result() for f in pending)
                pending = []
        assert not journal.healthy and "full" in journal.last_error
        assert acked and acked == list(range(1, len(acked) + 1))
        # Room again: the held events commit, in order, with no gap.
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
        later = await asyncio.wait_for(asyncio.gather(*pending), 10)
        assert later == list(range(len(acked) + 1, len(acked) + 1 + len(pending)))
        assert journal.healthy
        await journal.close()
        with sqlite3.connect(str(mount / "j.db")) as conn:
            seqs = [row[0] for row in conn.execute("SELECT seq FROM events ORDER BY seq")]
        assert seqs == list(range(1, later[-1] + 1))


async def test_backlog_limit_rejects_instead_of_growing_without_bound(tmp_path):
    journal = Journal(str(tmp_path / "j.db"), max_backlog=10)
    await journal.open()
    futures = [journal.append(event(i)) for i in range(15)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert sum(isinstance(r, JournalUnavailable) for r in results) == 5
    assert [r for r in results if isinstance(r, int)] == list(range(1, 11))
    await journal.close()


@pytest.mark.parametrize("durability", ["normal", "full"])
async def test_kill_9_during_heavy_ingest_loses_nothing_acknowledged(tmp_path, durability):
    path = tmp_path / "j.db"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.kernel.ingest_child", str(path), durability, stdout=asyncio.subprocess.PIPE)
    acknowledged = 0
    try:
        while acknowledged < 20_000:
            line = await asyncio.wait_for(child.stdout.readline(), 30)
            if not line:
                break
            acknowledged = max(acknowledged, int(line))
        with open(f"/proc/{child.pid}/task/{child.pid}/children") as children:
            [store] = [int(pid) for pid in children.read().split()]
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert acknowledged >= 20_000, "the ingest child died before acknowledging enough events"
    # The store process does not outlive its hub (it exits when its requests pipe closes).
    await eventually(lambda: not os.path.exists(f"/proc/{store}") or _is_zombie(store), 10,
                     "the journal store process to exit after its hub was killed")
    with sqlite3.connect(str(path)) as conn:
        seqs = [row[0] for row in conn.execute("SELECT seq FROM events ORDER BY seq")]
        row = conn.execute("SELECT * FROM events WHERE seq = ?", (acknowledged,)).fetchone()
    assert seqs[:acknowledged] == list(range(1, acknowledged + 1))
    assert seqs == list(range(1, len(seqs) + 1))
    assert Entry(*row).event().sequence == acknowledged
    journal = Journal(str(path))
    await journal.open()
    assert await journal.append(event(0)) == len(seqs) + 1
    await journal.close()


async def test_a_killed_store_process_is_restarted_and_nothing_is_lost_or_written_twice(tmp_path):
    path = tmp_path / "j.db"
    journal = Journal(str(path), max_events_per_commit=500)
    await journal.open()
    first_store = journal.store_pid
    futures = []
    for start in range(0, 10_000, 500):  # commits of 500 events: the store process writes them
        futures += [journal.append(event(n)) for n in range(start, start + 500)]
        if start == 5000:
            os.kill(first_store, signal.SIGKILL)
        await asyncio.sleep(0.002)
    sequences = await asyncio.wait_for(asyncio.gather(*futures), 60)
    assert sequences == list(range(1, 10_001))
    assert journal.store_pid != first_store and journal.healthy
    await journal.close()
    with sqlite3.connect(str(path)) as conn:
        rows = conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert [int(Entry(*row).event().attributes["n"]) for row in rows] == list(range(10_000))


async def test_read_only_journal_directory_is_a_clear_error_and_keeps_what_was_journaled(tmp_path):
    with small_tmpfs(tmp_path / "ro", "16m") as mount:
        journal = Journal(str(mount / "j.db"))
        await journal.open()
        assert await asyncio.gather(*[journal.append(event(i)) for i in range(100)]) == list(range(1, 101))
        await journal.close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for name in ("j.db", "new.db"):  # the existing journal, and a new one
            with pytest.raises(JournalUnavailable) as err:
                await Journal(str(mount / name)).open()
            assert "cannot open the journal" in str(err.value) and "read-only" in str(err.value).lower()
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        journal = Journal(str(mount / "j.db"), tail_cache_events=0)
        await journal.open()
        assert [e.seq for e in await journal.read_after(0, 1000)] == list(range(1, 101))
        assert await journal.append(event(100)) == 101
        await journal.close()


async def test_an_unexpected_commit_error_fails_its_appenders_and_the_journal_goes_on(tmp_path, monkeypatch):
    journal = Journal(str(tmp_path / "j.db"))
    await journal.open()
    assert await journal.append(event(0)) == 1
    def buggy(entries):  # a bug after the rows were written
        raise KeyError("bug")

    monkeypatch.setattr(journal.tail, "extend", buggy)
    results = await asyncio.gather(journal.append(event(1)), return_exceptions=True)
    assert isinstance(results[0], JournalUnavailable) and "internal error" in str(results[0])
    monkeypatch.undo()
    # Sequence 2 reached the database before the bug: it is not reused.
    assert await journal.append(event(2)) == 3
    await journal.close()


async def test_a_journal_without_a_format_marker_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(str(path)) as conn:  # rows of a format this campus-hub does not read
        conn.executescript(_OLD_SCHEMA)
        conn.execute("INSERT INTO events VALUES (1, 1.0, '', '', 1, 1, 'x', 'd', x'00')")
    journal = Journal(str(path), tail_cache_events=0)
    with pytest.raises(JournalUnavailable, match="no format marker"):
        await journal.open()


_OLD_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, received_at REAL NOT NULL, region TEXT NOT NULL,
    school TEXT NOT NULL, category INTEGER NOT NULL, severity INTEGER NOT NULL, type TEXT NOT NULL,
    device TEXT NOT NULL, blob BLOB NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


async def test_age_retention_cuts_at_the_first_event_young_enough(tmp_path):
    journal = Journal(str(tmp_path / "j.db"), max_age=100, tail_cache_events=0)
    await journal.open()
    received = [1000.0 + i for i in range(37)]  # one event a second
    for when in received:
        e = event(0)
        stamp_received(e, when)
        await journal.append(e)
    for now, expected_earliest in ((1100.0, 1), (1110.5, 12), (1136.0, 37), (2000.0, 38)):
        await journal.apply_retention(now=now)
        assert journal.earliest == expected_earliest, now
    await journal.close()


async def test_the_wal_is_checkpointed_so_it_does_not_grow_with_the_journal(tmp_path):
    # Commits never checkpoint (small ones run on the event loop); the store process does, every
    # CHECKPOINT_EVERY_EVENTS events. Without that, the WAL would hold every event ever written.
    from hub.journal import CHECKPOINT_EVERY_EVENTS
    path = tmp_path / "j.db"
    journal = Journal(str(path))
    await journal.open()
    total = 5 * CHECKPOINT_EVERY_EVENTS
    for start in range(0, total, 50):  # commits on the event loop
        await asyncio.gather(*[journal.append(event(n)) for n in range(start, start + 50)])
    await asyncio.sleep(0.2)  # let the last checkpoint finish
    # The WAL holds about one checkpoint interval (each small commit rewrites its last page, so
    # that is a few MB here); the database file holds all five. Without checkpoints: 23 MB of
    # WAL and a 4 KB database file.
    wal, database = os.path.getsize(f"{path}-wal"), os.path.getsize(path)
    assert wal < database, (wal, database)
    await journal.close()


@pytest.mark.parametrize("size", [4096, 16 * 1024, 100 * 1024])
async def test_large_events_round_trip_through_the_journal_and_a_subscriber(tmp_path, size):
    # Events of 4 KiB and more take the framing branch without a precomputed prefix.
    from hub.api.grpc.client import HubClient
    from hub.kernel import Hub

    from .conftest import ALL_TOKEN, settings

    hub = Hub(settings(tmp_path))
    await hub.start()
    try:
        sent = [new_event(device_id="fp-1", type="system.test", category=Category.CATEGORY_SYSTEM,
                          severity=Severity.SEVERITY_INFO, attributes={"n": n}, raw_protocol="test",
                          raw_data=os.urandom(size + n)) for n in range(3)]
        sequences = [await hub.submit(e, "test") for e in sent]
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
            received = await collect(client.subscribe(from_earliest=True), len(sent))
    finally:
        await hub.stop()
    assert [e.raw.data for e in received] == [e.raw.data for e in sent]
    assert [e.sequence for e in received] == sequences
    assert all(len(e.SerializeToString()) > size for e in received)
    from_disk = Journal(str(tmp_path / "journal.db"), tail_cache_events=0)
    await from_disk.open()
    try:
        entries = await from_disk.read_after(0, 10)
    finally:
        await from_disk.close()
    assert [entry.event() for entry in entries] == received


def _writes_database(pid: int, path) -> bool:
    """Whether process ``pid`` holds the database file open with write access (a write
    connection; the hub's read-only readers open it read-only, though they may write the WAL)."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except FileNotFoundError:
            continue  # closed meanwhile
        if target == str(path) and flags & os.O_ACCMODE != os.O_RDONLY:
            return True
    return False


@pytest.mark.parametrize("durability", ["full", "normal"])
async def test_durability_full_commits_only_through_the_store_process(tmp_path, durability):
    # With "full" every commit fsyncs, which must not stall the event loop: the hub keeps no write
    # connection and the store process writes every commit. ("normal" writes small ones inline.)
    from hub.api.grpc.client import HubClient
    from hub.kernel import Hub

    from .conftest import ALL_TOKEN, settings

    hub = Hub(settings(tmp_path, durability=durability, tail_cache_events=0))
    await hub.start()
    try:
        def fire(n):
            return new_event(device_id="fp-1", type="fire.alarm", category=Category.CATEGORY_FIRE,
                             severity=Severity.SEVERITY_CRITICAL, attributes={"n": n})
        sequences = [await hub.submit(fire(n), "test") for n in range(20)]  # commits of one event
        sequences += await asyncio.gather(*[hub.submit(fire(n), "test") for n in range(20, 500)])
        assert sequences == list(range(1, 501))
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
            received = await collect(client.subscribe(from_earliest=True), 500)  # from disk: no tail cache
        assert [e.sequence for e in received] == sequences
        path = tmp_path / "journal.db"
        hub_writes, store_writes = _writes_database(os.getpid(), path), _writes_database(hub.journal.store_pid, path)
    finally:
        await hub.stop()
    assert store_writes
    assert hub_writes == (durability != "full")
    reopened = Journal(str(path), tail_cache_events=0)
    await reopened.open()
    assert [int(e.event().attributes["n"]) for e in await reopened.read_after(0, 1000)] == list(range(500))
    await reopened.close()
