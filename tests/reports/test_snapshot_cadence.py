"""The snapshot cadence from the config: ``reports.snapshot_every`` and ``ledger.snapshot_every``
reach a real hub's projections, which save their snapshots that often while running; values out
of range, or not whole numbers, are config problems that say what is expected."""
from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import pytest

import hub.config
from hub.cli.runtime import settings_from_config
from hub.events import Category, Severity, new_event
from tests.kernel.conftest import running_hub

from tests.ledger.conftest import ledger_settings

from tests.config.config_helpers import HUB, problems_of


def configured(text: str):
    return settings_from_config(hub.config.load_text(HUB + text, "hub.yaml", env={}))


def snapshot_positions(path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, position FROM snapshots"))


async def journal_device_events(instance, count: int) -> int:
    sequences = []
    for n in range(count):
        event = new_event(device_id="cam-1", type=("device.online", "device.offline")[n % 2],
                          category=Category.CATEGORY_DEVICE, severity=Severity.SEVERITY_INFO)
        sequences.append(instance.submit(event, "synth"))
    return max(await asyncio.gather(*sequences))


@pytest.mark.parametrize("every", [1000, None])
async def test_the_configured_cadence_is_the_running_hubs(tmp_path, every):
    text = f"reports: {{snapshot_every: {every}}}\nledger: {{snapshot_every: {every}}}\n" if every else ""
    from_config = configured(text)
    assert from_config.reports.snapshot_every == from_config.ledger.snapshot_every == (every or 50_000)
    base = ledger_settings(tmp_path)
    settings = dataclasses.replace(
        base, reports=dataclasses.replace(base.reports, snapshot_every=from_config.reports.snapshot_every),
        ledger=dataclasses.replace(base.ledger, snapshot_every=from_config.ledger.snapshot_every))
    async with running_hub(settings) as instance:
        started = snapshot_positions(tmp_path / "journal.db")
        head = await journal_device_events(instance, 2500)
        for projection in (instance.reports, instance.ledger):
            await asyncio.wait_for(projection.wait_applied(head), 30)
        running = snapshot_positions(tmp_path / "journal.db")
    for name in ("reports", "ledger"):
        if every:  # saved while running, at the end of a batch of entries at least 1000 after the last
            assert running[name] >= started.get(name, 0) + every
        else:  # 2,500 entries are far from 50,000: nothing saved since the start
            assert running.get(name) == started.get(name)


@pytest.mark.parametrize("value, words", [
    ("10", "10 journal entries between snapshots is out of range; expected a whole number from 1,000 to "
           "100,000,000"),
    ("200000000", "out of range"),
    ("50k", "expected a valid integer"),
    ("5.5", "expected a valid integer"),
    ("true", "expected a valid integer"),
])
@pytest.mark.parametrize("section", ["reports", "ledger"])
def test_a_bad_cadence_is_a_problem_at_its_line(section, value, words):
    [problem] = problems_of(HUB + f"{section}:\n  snapshot_every: {value}\n")
    assert problem.line == 3 and f"{section}.snapshot_every" in str(problem) and words in str(problem)
