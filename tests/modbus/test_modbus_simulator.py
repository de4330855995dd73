"""The fire-panel simulator, read by pymodbus' own client over loopback."""
from __future__ import annotations

import asyncio

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.framer import FramerType

from adapters.modbus.profile import resolve_profile
from simulators.fire_panel.panel import PanelModel, ScenarioError
from simulators.fire_panel.scenario import ScenarioFileError, apply_step, load_scenario, parse_command, run_steps
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec

NOTIFIER = resolve_profile("notifier-gw")
GENERIC = resolve_profile("generic")
SIEMENS = resolve_profile("siemens-fc20")


async def client(sim, name, framer=FramerType.SOCKET, timeout=1.0):
    c = AsyncModbusTcpClient("127.0.0.1", port=sim.port_of(name), framer=framer,
                             reconnect_delay=0, timeout=timeout, retries=0)
    assert await c.connect()
    return c


@pytest.fixture
async def sim():
    lines: list[str] = []
    simulator = await FirePanelSimulator.start([
        EndpointSpec([PanelSpec("fp-a", NOTIFIER, 1), PanelSpec("fp-b", GENERIC, 2)]),
        EndpointSpec([PanelSpec("fp-c", SIEMENS, 5)], framer="rtu-over-tcp"),
    ], say=lines.append)
    simulator.lines = lines
    yield simulator
    await simulator.stop()


async def test_pymodbus_client_reads_zone_fire_and_reset(sim):
    c = await client(sim, "fp-a")
    try:
        assert (await c.read_holding_registers(3000, count=4, device_id=1)).registers == [0, 0, 0, 0]
        await apply_step(sim, parse_command("fire fp-a zone=3"))
        assert (await c.read_holding_registers(3000, count=4, device_id=1)).registers == [0, 0, 1 << 11, 0]
        await apply_step(sim, parse_command("reset fp-a"))
        assert (await c.read_holding_registers(3002, count=1, device_id=1)).registers == [0]
        # The other unit behind the same port is another panel with another map.
        battery = (await c.read_holding_registers(1, count=1, device_id=2)).registers
        assert battery == [2730]
    finally:
        c.close()
    assert any("listening on 127.0.0.1:" in line for line in sim.lines)


async def test_rtu_over_tcp_and_discrete_inputs(sim):
    c = await client(sim, "fp-c", framer=FramerType.RTU)
    try:
        assert (await c.read_discrete_inputs(0, count=8, device_id=5)).bits[:2] == [False, False]
        await apply_step(sim, parse_command("ac_loss fp-c"))
        assert (await c.read_discrete_inputs(0, count=8, device_id=5)).bits[:2] == [True, False]
        await apply_step(sim, parse_command("fire fp-c zone=48"))
        assert (await c.read_holding_registers(1547, count=1, device_id=5)).registers == [1 << 15]
        await apply_step(sim, parse_command("reset fp-c"))  # reset keeps mains failure: that's physics
        assert (await c.read_discrete_inputs(0, count=1, device_id=5)).bits[0] is True
        assert (await c.read_holding_registers(1547, count=1, device_id=5)).registers == [0]
    finally:
        c.close()


async def test_bad_requests_get_protocol_answers(sim):
    c = await client(sim, "fp-a")
    try:
        wrong_unit = await c.read_holding_registers(3000, count=1, device_id=9)
        assert wrong_unit.isError() and wrong_unit.exception_code == 0x0B
        unmapped = await c.read_holding_registers(2000, count=1, device_id=1)
        assert unmapped.isError() and unmapped.exception_code == 0x02
        across_gap = await c.read_holding_registers(390, count=20, device_id=1)
        assert across_gap.isError() and across_gap.exception_code == 0x02
        sim.set_exception("fp-a", 4)
        failing = await c.read_holding_registers(3000, count=1, device_id=1)
        assert failing.isError() and failing.exception_code == 0x04
    finally:
        c.close()


async def test_silent_converter_keeps_tcp_but_never_answers(sim):
    c = await client(sim, "fp-a", timeout=0.3)
    try:
        sim.set_answering(False, sim.port_of("fp-a"))
        with pytest.raises(Exception):
            await c.read_holding_registers(3000, count=1, device_id=1)
        assert c.connected
    finally:
        c.close()


async def test_converter_drop_closes_connections(sim):
    c = await client(sim, "fp-a")
    try:
        assert sim.drop_connections(sim.port_of("fp-a")) == 1
        await asyncio.sleep(0.05)
        assert not c.connected
    finally:
        c.close()


async def test_timed_scenario_steps(sim):
    steps = [parse_command("fire fp-b zone=2"), parse_command("fault fp-b point=3 loop=2 at=0.05")]
    await run_steps(sim, steps)
    assert sim.panel("fp-b").active_events() == ["fire.alarm {'zone': '2'}",
                                                   "fire.fault {'loop': '2', 'point': '3'}"]


def test_panel_model_rejects_what_the_profile_lacks():
    model = PanelModel("x", SIEMENS)
    with pytest.raises(ScenarioError, match="no 'fire.fault' for point 3"):
        model.raise_condition("fire.fault", point=3)
    with pytest.raises(ScenarioError, match="zone 99"):
        model.raise_condition("fire.alarm", zone=99)
    with pytest.raises(ScenarioError, match="needs 'zone:' or 'point:'"):
        parse_command("fire x")


def test_scenario_file_errors_have_lines(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("endpoints:\n  - port: 5020\n    panels:\n      - {name: a, profile: nope}\n"
                    "steps:\n  - {at: 1, do: explode}\n")
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    assert str(info.value.problems[0]).startswith(f"{path}:6: steps.0.do: Input should be")
    path.write_text("endpoints:\n  - port: 5020\n    panels:\n      - {name: a, profile: nope}\n")
    with pytest.raises(ScenarioFileError, match=r"s.yaml:4: .*no profile named 'nope'"):
        load_scenario(path)


async def test_cli_main_serves_and_plays_a_scenario(tmp_path, capsys):
    import argparse

    from simulators.fire_panel.cli import configure

    scenario = tmp_path / "s.yaml"
    scenario.write_text("endpoints:\n  - port: 0\n    panels:\n      - {name: a, profile: siemens-fc20, unit: 3}\n"
                        "steps:\n  - {at: 0, do: fire, panel: a, zone: 2}\n  - {at: 0.05, do: ac_loss, panel: a}\n")
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(["--scenario", str(scenario), "--duration", "0.3"])
    assert await args.main(args) == 0
    out = capsys.readouterr().out
    assert "fire-panel: listening on 127.0.0.1:" in out and "a (unit 3, siemens-fc20)" in out
    assert "fire-panel: [t=0s] a: fire.alarm raised at zone 2" in out
    assert "fire-panel: [t=0.05s] a: mains power lost" in out
    bad = parser.parse_args(["--profile", "nope", "--port", "0", "--duration", "0.1"])
    assert await bad.main(bad) == 2
    assert "no profile named 'nope'" in capsys.readouterr().err
