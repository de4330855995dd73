"""The alarm table is rebuilt from the alarm changes alone, read through the journal's partial
index: a journal full of other events is never scanned, and the rebuilt table equals the one
built change by change while the hub ran."""
from __future__ import annotations

import sqlite3

from hub.events import Category, Severity, State, new_event
from hub.journal import _schema as schema

from tests.kernel.conftest import running_hub

from .conftest import alarm_settings
from .test_projection import alarm_when, fire, panic


def test_the_indexed_categories_are_alarm_changes_linkage_and_audit():
    # linkage's events carry the snapshots attached to alarms, so the alarm table's rebuild reads them too
    assert schema.INDEXED_CATEGORIES == (Category.CATEGORY_ALARM, Category.CATEGORY_LINKAGE, Category.CATEGORY_AUDIT)


async def test_rebuild_reads_alarm_changes_through_the_index_and_equals_the_incremental_table(tmp_path):
    async with running_hub(alarm_settings(tmp_path)) as hub:
        for n in range(300):  # other events between the alarms' changes
            await hub.submit(new_event(device_id="sw-1", type="network.port.up", category=Category.CATEGORY_NETWORK,
                                       severity=Severity.SEVERITY_INFO, state=State.STATE_MOMENTARY), "synth")
            if n == 100:
                await hub.submit(panic(), "synth")
            if n == 200:
                await hub.submit(fire(), "synth")
        await alarm_when(hub, "fp-1/fire.alarm")
        incremental = dict(hub.alarms.table)
        position = hub.alarms.position
        hub.alarms.table.clear()
        await hub.alarms.rebuild()
        assert hub.alarms.table == incremental and len(incremental) == 2
        assert hub.alarms.position >= position
        entries, through = await hub.journal.read_indexed_after(0, 1000)
        assert [entry.category for entry in entries] == [Category.CATEGORY_ALARM] * 2 and through == hub.journal.head
        path = hub.journal.path
    conn = sqlite3.connect(path)
    plan = " ".join(str(row) for row in conn.execute("EXPLAIN QUERY PLAN " + schema.SELECT_INDEXED, (0, 10, 10)))
    conn.close()
    assert "events_indexed_categories" in plan
