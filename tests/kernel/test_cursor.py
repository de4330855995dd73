"""JournalCursor on real journal files: reading, waiting, retention, and named positions that
survive a restart and kill -9."""
from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from hub.events import Category, Event, Severity, new_event, stamp_received
from hub.journal import CursorCorrupt, CursorNotFound, Journal, JournalCursor, RetentionExceeded


def event(n: int) -> Event:
    e = new_event(device_id="dev-1", type="system.test", category=Category.CATEGORY_SYSTEM,
                  severity=Severity.SEVERITY_INFO, attributes={"n": n})
    stamp_received(e)
    return e


@pytest.fixture
async def journal(tmp_path):
    instance = Journal(str(tmp_path / "j.db"), tail_cache_events=0)
    await instance.open()
    yield instance
    if not instance.closed:
        await instance.close()


async def test_a_cursor_reads_what_follows_its_position_and_moves_past_it(journal):
    await asyncio.gather(*[journal.append(event(i)) for i in range(10)])
    cursor = JournalCursor.at(journal, 3)
    assert [entry.seq for entry in await cursor.read(4)] == [4, 5, 6, 7]
    assert cursor.position == 7 and cursor.lag == 3
    assert [entry.seq for entry in await cursor.read()] == [8, 9, 10]
    assert await cursor.read() == []
    assert cursor.lag == 0


async def test_a_cursor_waits_for_more_and_times_out_when_nothing_comes(journal):
    cursor = JournalCursor.at(journal, journal.head)
    assert not await cursor.wait(0.05)
    waiting = asyncio.ensure_future(cursor.wait(5))
    await asyncio.sleep(0.01)
    await journal.append(event(1))
    assert await waiting
    assert [entry.event().attributes["n"] for entry in await cursor.read()] == ["1"]


async def test_a_position_that_fell_out_of_retention_is_a_clear_error(tmp_path):
    journal = Journal(str(tmp_path / "j.db"), max_age=60, tail_cache_events=0)
    await journal.open()
    old = [event(i) for i in range(5)]
    for e in old:
        e.received_at.seconds -= 3600
    await asyncio.gather(*[journal.append(e) for e in old])
    await journal.append(event(99))
    cursor = JournalCursor.at(journal, 1)
    assert await journal.apply_retention() == 5
    with pytest.raises(RetentionExceeded, match="earliest retained sequence is 6"):
        cursor.check_retained()
    with pytest.raises(RetentionExceeded):
        await cursor.read()
    await journal.close()


async def test_batches_go_on_past_a_retention_gap_and_end_when_the_journal_closes(tmp_path):
    journal = Journal(str(tmp_path / "j.db"), max_age=60, tail_cache_events=0)
    await journal.open()
    old = [event(i) for i in range(5)]
    for e in old:
        e.received_at.seconds -= 3600
    await asyncio.gather(*[journal.append(e) for e in old])
    await journal.append(event(99))
    cursor = JournalCursor.at(journal, 1)
    assert await journal.apply_retention() == 5
    seen = []

    async def follow():
        async for entries in cursor.batches(2, lost="nothing, in this test"):
            seen.extend(entry.seq for entry in entries)

    following = asyncio.ensure_future(follow())
    await asyncio.gather(journal.append(event(100)), journal.append(event(101)))
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    await journal.close()
    await asyncio.wait_for(following, 10)
    assert seen == [6, 7, 8]  # from the earliest retained entry on, each once


async def test_a_named_cursor_keeps_its_position_across_a_restart(tmp_path, journal):
    await asyncio.gather(*[journal.append(event(i)) for i in range(20)])
    cursor = await JournalCursor.named(journal, "alarms", create_at=0)
    assert cursor.position == 0
    await cursor.read(12)
    await cursor.commit()
    await journal.close()
    reopened = Journal(str(tmp_path / "j.db"), tail_cache_events=0)
    await reopened.open()
    resumed = await JournalCursor.named(reopened, "alarms")
    assert resumed.position == 12
    assert [entry.seq for entry in await resumed.read()] == list(range(13, 21))
    await reopened.close()


async def test_a_cursor_commits_only_what_its_consumer_finished(journal):
    await asyncio.gather(*[journal.append(event(i)) for i in range(10)])
    cursor = await JournalCursor.named(journal, "uplink", create_at=0)
    await cursor.read()
    await cursor.commit(4)  # acknowledged upstream up to 4 only
    assert (await JournalCursor.named(journal, "uplink")).position == 4


async def test_an_unknown_cursor_name_is_a_clear_error_naming_the_known_ones(journal):
    await JournalCursor.named(journal, "ledger", create_at=0)
    with pytest.raises(CursorNotFound, match=r"no journal cursor named 'alarms'; known cursors: ledger"):
        await JournalCursor.named(journal, "alarms")


async def test_a_corrupt_stored_position_is_a_clear_error(tmp_path, journal):
    await journal.append(event(1))
    await JournalCursor.named(journal, "reports", create_at=1)
    with sqlite3.connect(str(tmp_path / "j.db")) as conn:
        conn.execute("UPDATE cursors SET position = 'garbage' WHERE name = 'reports'")
    with pytest.raises(CursorCorrupt, match="holds 'garbage', which is no position in this journal"):
        await JournalCursor.named(journal, "reports")
    with sqlite3.connect(str(tmp_path / "j.db")) as conn:
        conn.execute("UPDATE cursors SET position = 999 WHERE name = 'reports'")
    with pytest.raises(CursorCorrupt, match="was the journal replaced"):
        await JournalCursor.named(journal, "reports")


async def test_a_position_beyond_the_head_cannot_be_committed(journal):
    cursor = await JournalCursor.named(journal, "x", create_at=0)
    with pytest.raises(ValueError, match="not in this journal"):
        await cursor.commit(5)


_CHILD = """
import asyncio, sys
from hub.cli import logs
logs.configure("warning")
from hub.events import Category, Severity, new_event, stamp_received
from hub.journal import Journal, JournalCursor

async def main():
    journal = Journal(sys.argv[1])
    await journal.open()
    for n in range(50):
        e = new_event(device_id="d", type="system.test", category=Category.CATEGORY_SYSTEM,
                      severity=Severity.SEVERITY_INFO)
        stamp_received(e)
        await journal.append(e)
    cursor = await JournalCursor.named(journal, "projection", create_at=0)
    await cursor.read(30)
    await cursor.commit()
    print("committed", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_committed_position_survives_kill_9(tmp_path):
    path = str(tmp_path / "j.db")
    child = subprocess.Popen([sys.executable, "-c", _CHILD, path], stdout=subprocess.PIPE,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        deadline = time.monotonic() + 30
        line = b""
        while not line and time.monotonic() < deadline:
            line = await asyncio.get_running_loop().run_in_executor(None, child.stdout.readline)
        assert line.strip() == b"committed"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    journal = Journal(path, tail_cache_events=0)
    await journal.open()
    assert journal.head == 50
    assert (await JournalCursor.named(journal, "projection")).position == 30
    await journal.close()


async def test_a_wait_cancelled_as_the_journal_advances_ends_cancelled(journal):
    """A consumer stopped just as an entry is committed must stop: on Python 3.11,
    asyncio.wait_for returned the result and swallowed the cancellation (gh-86296), so an
    uplink's publisher kept looping and its hub never stopped."""
    cursor = JournalCursor.at(journal, journal.head)
    waiter = asyncio.ensure_future(cursor.wait(timeout=30.0))
    for _ in range(3):
        await asyncio.sleep(0)  # the waiter is parked on the journal's "advanced" future
    journal._advanced.set_result(None)  # what a commit does, then the stop's cancel
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
