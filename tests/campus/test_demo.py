"""`campus-hub demo` (the README's first command): hub and simulated school in one process; events of
every protocol family appear in its live view, which reads them over the hub's own gRPC API."""
from __future__ import annotations

import asyncio
import os
import sys

from tests.campus.processes import ROOT


async def run_demo(*args: str, timeout: float = 60) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "demo", "--console", "127.0.0.1:0", *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


async def test_demo_shows_events_of_every_family_live_and_stops_by_itself():
    code, out, err = await run_demo("--duration", "8", "--grpc", "127.0.0.1:0", "--metrics", "127.0.0.1:0")
    assert code == 0, err
    assert "Yanhu Experimental Primary School" in out and "MISSING" not in out
    assert "campus-hub tail --target 127.0.0.1:" in out and "/metrics" in out
    events = [line for line in out.splitlines() if line.startswith("#")]
    for protocol, happened in (("[modbus]", "fire alarm (zone 3)"), ("[sia-dc09]", "panic alarm"),
                               ("[onvif]", "video tamper"), ("[snmp]", "network link down (port 7)")):
        assert any(protocol in line and happened in line for line in events), f"no {happened} {protocol} in:\n{out}"
    # linkage: the panic turns the gate camera to its preset, and snapshots are attached to the alarms
    assert any("cam-gate" in line and "ptz_preset by rule panic-look, preset 1" in line for line in events), out
    assert any("cam-gate" in line and "snapshot by rule panic-look, 1 snapshot attached" in line for line in events), out
    assert any("snapshot by rule fire-look, 1 snapshot attached" in line for line in events), out
    # the timeline's own lines are shown too, told apart from events
    assert any(line.startswith("script") and "fire-panel-a" in line for line in out.splitlines())


async def test_demo_says_which_family_is_missing_and_runs_with_the_others():
    code, out, err = await run_demo("--duration", "6", "--grpc", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
                                    "--only", "modbus", "--only", "sia")
    assert code == 0, err
    assert "MISSING    cameras (ONVIF): left out on request (the demo runs without them)" in out
    assert "MISSING    switch and UPS (SNMP): left out on request (the demo runs without them)" in out
    events = [line for line in out.splitlines() if line.startswith("#")]
    assert any("[sia-dc09]" in line for line in events) and not any("[onvif]" in line for line in events)


async def test_demo_on_a_scenario_with_history_journals_it_and_shows_live_events_after_it(tmp_path):
    import re

    from tests.campus.test_simulate_cli import HISTORY_SCENARIO
    scenario = tmp_path / "campus.yaml"
    scenario.write_text(HISTORY_SCENARIO, encoding="utf-8")
    code, out, err = await run_demo("--scenario", str(scenario), "--duration", "6", "--grpc", "127.0.0.1:0",
                                    "--metrics", "127.0.0.1:0")
    assert code == 0, err
    assert "history: left unrepaired: cam-2: going silent" in err
    journaled = re.search(r"history: journaled 12 days .* \((\d+) device events, (\d+) ledger entries", err)
    assert journaled, err
    assert "the journal holds 12 days of the campus's past" in out and "campus-hub ledger list --overdue" in out
    shown = [int(line[1:].split()[0]) for line in out.splitlines() if line.startswith("#")]
    # history, its ledger changes and the census at start are not in the live view; live events are
    assert shown and min(shown) > int(journaled[1]) + int(journaled[2]) + 5
