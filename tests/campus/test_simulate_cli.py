"""`campus-hub simulate` refuses a broken scenario with file:line problems and checks one on request."""
from __future__ import annotations

import asyncio
import os
import sys

from tests.campus.processes import ROOT


async def simulate(*args: str, cwd=ROOT) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "simulate", *args, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_a_broken_scenario_is_refused_with_every_problem_and_no_config_is_written(tmp_path):
    scenario = tmp_path / "campus.yaml"
    scenario.write_text('schools:\n  - {school_id: s1, region_code: "140802", cameras: [{id: cam-1}]}\n'
                        "timeline:\n  - {at: 1, device: cam-1, do: fire}\n  - {at: 2, device: cam-9, do: motion}\n")
    code, out, err = await simulate(str(scenario), "--write-config", str(tmp_path / "hub.yaml"), cwd=tmp_path)
    assert code == 2
    assert f"{scenario}:4:32: timeline[0].do: a camera cannot 'fire'" in err
    assert f"{scenario}:5:21: timeline[1].device: no device 'cam-9'" in err
    assert not (tmp_path / "hub.yaml").exists()


async def test_check_summarises_a_valid_scenario():
    code, out, _ = await simulate("county", "--check")
    assert code == 0
    assert out.strip().endswith("county.yaml: OK (50 schools, 2600 devices: 200 modbus, 800 onvif, 200 snmp, "
                                "1400 sia; 10 timeline steps)")


HISTORY_SCENARIO = """\
name: history-school
region_names: {"14": 山西省, "1408": 运城市, "140802": 盐湖区}
schools:
  - school_id: sch-1
    region_code: "140802"
    name: 实验小学
    fire_panels: [{id: fire-a}]
    cameras: [{id: "cam-{n}", count: 3}]
    panic_buttons: [{id: panic-1}]
history:
  days: 12
  seed: 3
  inspections_per_week: 0
  unrepaired:
    - {device: fire-a, fault: fire.fault, ago: 10d}
    - {device: cam-2, fault: offline, ago: 2d}
"""


async def test_simulate_journals_the_history_into_a_new_journal_once_and_keeps_its_faults(tmp_path):
    import dataclasses

    from hub import config as hub_config
    from hub.cli.runtime import settings_from_config
    from hub.kernel import Hub

    (tmp_path / "campus.yaml").write_text(HISTORY_SCENARIO, encoding="utf-8")
    args = ("campus.yaml", "--write-config", "hub.yaml", "--grpc", "127.0.0.1:0", "--metrics", "", "--no-wait",
            "--duration", "0.5")
    code, out, err = await simulate(*args, cwd=tmp_path)
    assert code == 0, err
    assert "history: left unrepaired: cam-2: going silent" in out
    assert "history: journaled 12 days of the campus's past into" in out and "1 open and overdue" in out
    code, again, err = await simulate(*args, cwd=tmp_path)
    assert code == 0, err
    assert "exists; its history is not written again" in again
    settings = settings_from_config(hub_config.load(tmp_path / "hub.yaml"))
    assert settings.reports.region_names["140802"] == "盐湖区"
    hub = Hub(dataclasses.replace(settings, adapters=()))
    await hub.start()
    try:
        open_entries = {(h.device, h.cause): h for h in hub.ledger.table.values() if not h.closed}
        assert open_entries[("fire-a", "fire.fault")].overdue
        assert not open_entries[("cam-2", "camera_offline")].overdue  # opened a day ago: within its 7 days
        rows = hub.reports.facts.tracks
        assert set(rows) == {"fire-a", "cam-1", "cam-2", "cam-3", "panic-1"}
    finally:
        await hub.stop()


async def test_simulate_with_no_history_writes_none_and_leaves_the_devices_working(tmp_path):
    (tmp_path / "campus.yaml").write_text(HISTORY_SCENARIO, encoding="utf-8")
    code, out, err = await simulate("campus.yaml", "--write-config", "hub.yaml", "--grpc", "127.0.0.1:0",
                                    "--metrics", "", "--no-wait", "--duration", "0.5", "--no-history", cwd=tmp_path)
    assert code == 0, err
    assert "history:" not in out and (tmp_path / "hub.yaml").exists()
    assert not (tmp_path / "data").exists()  # no journal: the hub starts on an empty one
