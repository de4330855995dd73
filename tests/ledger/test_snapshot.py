"""The ledger's snapshot beside its cursor, through a real hub: entries changed over gRPC, the hub
stopped (a snapshot saved) and changed again behind it; the restarted hub's ledger comes from the
snapshot and the tail and equals a full rebuild, entry for entry."""
from __future__ import annotations

import sqlite3

from campushub.v1 import ledger_service_pb2 as pb
from tests.kernel.conftest import running_hub

from .conftest import client, ledger_settings


async def register(hub, n: int) -> str:
    async with client(hub) as caller:
        hazard = (await caller.ledger_call("RegisterHazard", grade=pb.HAZARD_GRADE_GENERAL, category="fire",
                                           school_id="sch-a", description=f"finding {n}")).hazard
        return hazard.id


def snapshot_row(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM snapshots WHERE name = 'ledger'").fetchone()


async def test_a_restarted_ledger_from_its_snapshot_and_tail_equals_a_rebuild(tmp_path, clock):
    async with running_hub(ledger_settings(tmp_path, clock)) as hub:
        first = [await register(hub, n) for n in range(5)]
    older = snapshot_row(tmp_path / "journal.db")  # saved at the stop
    async with running_hub(ledger_settings(tmp_path, clock)) as hub:
        assert hub.ledger.snapshots.position == older[1]  # started from it
        async with client(hub) as caller:
            await caller.ledger_call("MoveHazard", hazard_id=first[0], to=pb.HAZARD_STATE_RECTIFYING)
            await caller.ledger_call("CommentHazard", hazard_id=first[1], comment="已通知后勤")
        second = [await register(hub, n) for n in range(5, 8)]
        followed = hub.ledger.snapshot_state()
    # Back to the older snapshot: the next start must fold what the second run journaled.
    with sqlite3.connect(tmp_path / "journal.db") as conn:
        conn.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", older)
    async with running_hub(ledger_settings(tmp_path, clock)) as hub:
        assert hub.ledger.snapshots.position >= older[1]
        restored = hub.ledger.snapshot_state()
        await hub.ledger.rebuild()
        assert restored == hub.ledger.snapshot_state()
        assert followed[1:] == restored[1:]  # what the follow loop held, too
        assert set(first + second) == set(hub.ledger.table)
        assert hub.ledger.table[first[0]].state == "rectifying"
        assert hub.ledger.table[first[1]].last_comment == "已通知后勤"
