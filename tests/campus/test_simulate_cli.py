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
