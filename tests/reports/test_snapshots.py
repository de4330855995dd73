"""The report facts' snapshot beside their cursor: restored and followed by the journal's tail, it
gives exactly what a full rebuild gives (compared as whole states, not as a figure or two); one
of another format, with bytes that do not match their digest, beyond a replaced journal's head or
older than retention is not used (the facts are rebuilt); and a process killed with SIGKILL,
store process included, in the middle of its snapshots leaves a snapshot that is whole and, with
its tail, equal to a rebuild, for the ledger too (the two share hub.journal.SnapshotKeeper)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
import time

from hub.journal import Journal
from hub.reports import DeviceClasses, ReportProjection, ReportSettings
from simulators.campus.history import history, write_history
from tests.kernel.conftest import DEVICES

from . import snapshot_child
from .conftest import generated_journal


@contextlib.asynccontextmanager
async def opened(path, **journal_options):
    journal = Journal(str(path), max_age=None, max_bytes=None, **journal_options)
    await journal.open()
    try:
        yield journal
    finally:
        await journal.close()


def facts(journal, settings=None) -> ReportProjection:
    return ReportProjection(journal, None, None, settings or ReportSettings(retention=None), "test")


async def rebuilt_state(journal, settings=None) -> tuple:
    projection = facts(journal, settings)
    await projection.rebuild()
    return projection.snapshot_state()


async def test_snapshot_and_tail_equal_a_full_rebuild(tmp_path):
    await generated_journal(tmp_path, days=2)
    async with opened(tmp_path / "journal.db") as journal:
        first = facts(journal)
        await first.restore()  # no snapshot: rebuilt, and a snapshot saved
        assert first.snapshots.position == journal.head > 0
        snapshot_position = journal.head
    await generated_journal(tmp_path, days=1, seed=11)  # the tail: more history after the snapshot
    async with opened(tmp_path / "journal.db") as journal:
        restored = facts(journal)
        loaded = await restored.snapshots.load()
        assert loaded is not None and loaded.position == snapshot_position < journal.head
        await restored.restore()
        assert restored.position == journal.head
        assert restored.snapshot_state() == await rebuilt_state(journal)
        assert len(restored.facts.tracks) == len(DEVICES)


async def test_a_snapshot_of_other_settings_or_damaged_is_not_used(tmp_path):
    await generated_journal(tmp_path, days=1)
    async with opened(tmp_path / "journal.db") as journal:
        await facts(journal).restore()
        # A device-class override changes the fold (of devices known from their events alone):
        # the snapshot is of another format.
        other = ReportSettings(retention=None, classes=DeviceClasses(kinds={"camera": "other"}))
        changed = facts(journal, other)
        assert await changed.snapshots.load() is None
        await changed.restore()
        assert changed.snapshot_state() == await rebuilt_state(journal, other)
    with sqlite3.connect(tmp_path / "journal.db") as conn:
        conn.execute("UPDATE snapshots SET state = CAST(? AS BLOB) WHERE name = 'reports'", (b"\x00" * 40,))
    async with opened(tmp_path / "journal.db") as journal:
        damaged = facts(journal)
        assert await damaged.snapshots.load() is None
        await damaged.restore()
        assert damaged.snapshot_state() == await rebuilt_state(journal)


async def test_a_snapshot_beyond_the_head_or_past_retention_is_not_used(tmp_path):
    await generated_journal(tmp_path, days=1)
    async with opened(tmp_path / "journal.db") as journal:
        await facts(journal).restore()
    # The journal replaced by a shorter one, its snapshot row carried over.
    with sqlite3.connect(tmp_path / "journal.db") as conn:
        row = conn.execute("SELECT * FROM snapshots").fetchone()
    async with opened(tmp_path / "new.db") as journal:
        pass
    with sqlite3.connect(tmp_path / "new.db") as conn:
        conn.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", row)
    async with opened(tmp_path / "new.db") as journal:
        assert await facts(journal).snapshots.load() is None
    # Retention took the entries after the snapshot's position (the history is a day old).
    async with opened(tmp_path / "journal.db") as journal:
        await generated_journal_tail(journal)
        journal.max_age = 3600.0
        assert await journal.apply_retention() > 0
        assert await facts(journal).snapshots.load() is None


async def generated_journal_tail(journal) -> None:
    end = time.time() - 7200
    events, _ = history(DEVICES, end - 3600, end, seed=5)
    await write_history(journal, events)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


async def test_kill_9_in_the_middle_of_snapshots_leaves_one_equal_to_a_rebuild(tmp_path):
    path = tmp_path / "journal.db"
    rng = random.Random(3)
    for _ in range(3):  # each round restarts from the last round's snapshots
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.reports.snapshot_child", str(path), stdout=asyncio.subprocess.PIPE)
        store = []
        try:
            for _ in range(10 + rng.randrange(30)):
                assert await asyncio.wait_for(child.stdout.readline(), 60), "the snapshot child died"
            store = _children(child.pid)
        finally:
            # The store process first: it writes the snapshots, so the kill cuts one short.
            for pid in store:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            child.send_signal(signal.SIGKILL)
            await child.wait()
        async with opened(path) as journal:
            for projection, rebuilt in zip(snapshot_child.projections(journal), snapshot_child.projections(journal)):
                snapshot = await projection.snapshots.load()
                assert snapshot is not None and 0 < snapshot.position <= journal.head
                await projection.restore()
                await rebuilt.rebuild()
                assert projection.snapshot_state() == rebuilt.snapshot_state()
                assert projection.position == journal.head
