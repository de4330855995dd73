"""Ledger entries outlive the journal's retention: a real hub whose journal holds entries recorded
29 days ago (retention 30 days) journals the open one and the recently closed one again at start;
after retention has deleted the original records, both are still in the ledger, in a rebuild
and after a restart with and without the snapshot; a closed entry past keep_closed leaves the
ledger once its record is gone, from the live table as from a rebuild."""
from __future__ import annotations

import sqlite3
import time

from hub.events import stamp_received
from hub.journal import Journal
from hub.ledger import Hazard, change_event
from tests.kernel.conftest import running_hub

from .conftest import ledger_settings

DAY = 86400.0


def hazard(id_: str, state: str, closed_at: float = 0.0, **fields) -> Hazard:
    return Hazard(id=id_, grade="general", category="fire", region="140802", school="sch-a",
                  description=f"finding {id_}", state=state, closed_at=closed_at, revision=3,
                  registered_at=time.time() - 40 * DAY, deadline=time.time() + 10 * DAY, last_actor="subscriber:ops",
                  **fields)


async def journal_old_records(path: str, hazards: list[Hazard], at: float) -> None:
    journal = Journal(path, max_age=None, max_bytes=None)
    await journal.open()
    for entry in hazards:
        event = change_event(entry, "registered")
        stamp_received(event, at)
        await journal.append(event)
    await journal.close()


def settings(tmp_path, clock):
    return ledger_settings(tmp_path, clock, max_age=30 * DAY, retention_interval=3600.0)


async def test_open_and_recently_closed_entries_survive_retention_and_restart(tmp_path, clock):
    now = time.time()
    entries = [hazard("HZ-open", "rectifying"), hazard("HZ-closed", "closed", closed_at=now - 29 * DAY),
               hazard("HZ-long-closed", "closed", closed_at=now - 500 * DAY)]
    await journal_old_records(str(tmp_path / "journal.db"), entries, now - 29 * DAY)
    async with running_hub(settings(tmp_path, clock)) as hub:
        history = await hub.ledger.history("HZ-open")
        assert [kind for _, kind, _ in history] == ["registered", "compacted"]  # journaled again at start
        assert history[-1][2] == entries[0]  # as it was: same revision, same state
        assert [kind for _, kind, _ in await hub.ledger.history("HZ-long-closed")] == ["registered"]
        # Two days on, retention deletes what was received before the horizon: the old records.
        assert await hub.journal.apply_retention(now=time.time() + 2 * DAY) >= 3
        assert [kind for _, kind, _ in await hub.ledger.history("HZ-open")] == ["compacted"]
        await hub.ledger.compact()
        assert set(hub.ledger.table) == {"HZ-open", "HZ-closed"}
        live = hub.ledger.snapshot_state()
        await hub.ledger.rebuild()
        assert hub.ledger.snapshot_state()[1:] == live[1:]
    async with running_hub(settings(tmp_path, clock)) as hub:  # from the snapshot
        assert hub.ledger.get("HZ-open") == entries[0] and set(hub.ledger.table) == {"HZ-open", "HZ-closed"}
    with sqlite3.connect(tmp_path / "journal.db") as conn:
        conn.execute("DELETE FROM snapshots")
    async with running_hub(settings(tmp_path, clock)) as hub:  # rebuilt from what the journal retains
        assert hub.ledger.snapshots.position == hub.ledger.position  # (a snapshot saved after the rebuild)
        assert hub.ledger.get("HZ-open") == entries[0] and set(hub.ledger.table) == {"HZ-open", "HZ-closed"}
