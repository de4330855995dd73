"""Panel commands: the profile's command registers and coils, written by the adapter over real
Modbus TCP to our simulator (which acts on them) and to pymodbus' own server (which only stores them)."""
from __future__ import annotations

import asyncio
import contextlib
import pathlib

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from adapters.modbus.profile import ProfileError, parse_profile, resolve_profile
from hub.events import State
from hub.spi import CapabilityError, PanelCommand
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec
from tests.modbus.test_modbus_adapter import Running, device

PROFILE_HEAD = """profile: p
blocks:
  - {name: panel, table: holding, start: 0, count: 2}
signals:
  - {name: panel, scope: panel, address: 0, bits: {0: {event: fire.alarm}}}
"""


def test_every_shipped_profile_has_reset_silence_and_acknowledge_and_only_reset_is_operator_only():
    for name in ("generic", "notifier-gw", "siemens-fc20"):
        commands = {c.name: c.safe_for_rules for c in resolve_profile(name).commands}
        assert commands == {"reset": False, "silence": True, "acknowledge": True}, name


def test_a_command_over_a_status_word_or_twice_named_is_a_profile_error_at_its_line():
    text = PROFILE_HEAD + "commands:\n  - {name: reset, address: 0}\n  - {name: reset, address: 10}\n"
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "p.yaml")
    message = str(caught.value)
    assert "p.yaml:7" in message and "which signal 'panel'" in message
    assert "p.yaml:8" in message and "already defined at line 7" in message


def test_a_command_name_must_be_a_word_and_its_table_writable():
    with pytest.raises(ProfileError, match="lower-case word"):
        parse_profile(PROFILE_HEAD + "commands:\n  - {name: Reset!, address: 9}\n", "p.yaml")
    with pytest.raises(ProfileError, match="commands\\[0\\].table"):
        parse_profile(PROFILE_HEAD + "commands:\n  - {name: reset, table: input, address: 9}\n", "p.yaml")


async def test_a_reset_written_by_the_adapter_clears_the_simulated_alarm_and_the_next_poll_shows_it():
    profile = resolve_profile("generic")
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", profile, 4)])])
    run = Running([device("fp", sim.port_of("fp"), unit_id=4)])
    adapter = run.adapter
    try:
        await run.online("fp")
        assert PanelCommand("reset", False) in adapter.panel_commands("fp")
        sim.panel("fp").raise_condition("fire.alarm", zone=3)
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_RAISED)
        await adapter.run_panel_command("fp", "silence")
        await run.ctx.wait_for_event("fire.silenced", state=State.STATE_RAISED)
        await adapter.run_panel_command("fp", "reset")
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_CLEARED)
        await run.ctx.wait_for_event("fire.silenced", state=State.STATE_CLEARED)
        assert sim.panel("fp").commands == ["silence", "reset"]
        with pytest.raises(CapabilityError, match="no command 'evacuate'"):
            await adapter.run_panel_command("fp", "evacuate")
        with pytest.raises(CapabilityError, match="not a panel this adapter polls"):
            await adapter.run_panel_command("nobody", "reset")
    finally:
        await run.stop()
        await sim.stop()


async def test_a_panel_that_refuses_the_write_is_a_capability_error_naming_the_exception():
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", resolve_profile("siemens-fc20"), 2)])])
    run = Running([device("fp", sim.port_of("fp"), unit_id=2, profile="siemens-fc20")])
    try:
        await run.online("fp")
        sim.set_exception("fp", 4)
        with pytest.raises(CapabilityError, match="refused the write: exception 4: server device failure"):
            await run.adapter.run_panel_command("fp", "reset")
        assert sim.panel("fp").commands == []
    finally:
        await run.stop()
        await sim.stop()


async def test_a_command_to_a_panel_whose_link_is_down_fails_at_once():
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", resolve_profile("generic"), 1)])])
    port = sim.port_of("fp")
    await sim.stop()
    run = Running([device("fp", port)])
    try:
        await run.ctx.wait_for(lambda: run.ctx.state("fp") == "offline", what="fp offline")
        with pytest.raises(CapabilityError, match="not connected"):
            await run.adapter.run_panel_command("fp", "reset")
    finally:
        await run.stop()


@contextlib.asynccontextmanager
async def pymodbus_server(profile: str = "generic"):
    """pymodbus' own server (unit 1: holding registers and coils that only store what is
    written), an adapter polling it with ``profile``, and a client of it: (adapter run, client)."""
    store = ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, [0] * 1000),
                                co=ModbusSequentialDataBlock(1, [False] * 100))
    server = ModbusTcpServer(ModbusServerContext(devices={1: store}, single=False), address=("127.0.0.1", 0))
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    run = Running([device("fp", port, profile=profile)])
    client = AsyncModbusTcpClient("127.0.0.1", port=port)
    try:
        await run.online("fp")
        await client.connect()
        yield run, client
    finally:
        client.close()
        await run.stop()
        await server.shutdown()


async def test_the_adapter_writes_the_command_register_of_pymodbus_own_server():
    async with pymodbus_server() as (run, client):
        await run.adapter.run_panel_command("fp", "acknowledge")
        written = await client.read_holding_registers(902, count=1, device_id=1)
    assert written.registers == [1]


def coil_profile(tmp_path) -> str:
    """The generic map with its commands on coils (function 5) instead of holding registers, as
    panels whose gateways expose their keys as coils have them."""
    source = (pathlib.Path(__file__).parents[2] / "config" / "profiles" / "generic.yaml").read_text()
    head, _commands = source.split("\ncommands:\n")
    path = tmp_path / "coil-keys.yaml"
    path.write_text(head.replace("profile: generic", "profile: coil-keys") + "\ncommands:\n"
                    "  - {name: reset,       table: coil, address: 40, value: 1}\n"
                    "  - {name: silence,     table: coil, address: 41, value: 1, safe_for_rules: true}\n"
                    "  - {name: acknowledge, table: coil, address: 42, value: 1, safe_for_rules: true}\n")
    return str(path)


async def test_coil_commands_written_by_the_adapter_make_the_simulated_panel_silence_and_reset(tmp_path):
    profile_path = coil_profile(tmp_path)
    assert {c.name: c.table.value for c in resolve_profile(profile_path).commands} == {
        "reset": "coil", "silence": "coil", "acknowledge": "coil"}
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", resolve_profile(profile_path), 3)])])
    run = Running([device("fp", sim.port_of("fp"), unit_id=3, profile=profile_path)])
    try:
        await run.online("fp")
        sim.panel("fp").raise_condition("fire.alarm", zone=5)
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_RAISED)
        await run.adapter.run_panel_command("fp", "silence")
        await run.ctx.wait_for_event("fire.silenced", state=State.STATE_RAISED)
        await run.adapter.run_panel_command("fp", "acknowledge")
        await run.adapter.run_panel_command("fp", "reset")
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_CLEARED)
        await run.ctx.wait_for_event("fire.silenced", state=State.STATE_CLEARED)
        assert sim.panel("fp").commands == ["silence", "acknowledge", "reset"]
        # A key press, not a state: the coil reads off again once the panel took the command.
        client = AsyncModbusTcpClient("127.0.0.1", port=sim.port_of("fp"))
        await client.connect()
        keys = await client.read_coils(40, count=3, device_id=3)
        client.close()
        assert keys.bits[:3] == [False, False, False]
    finally:
        await run.stop()
        await sim.stop()


async def test_the_adapter_switches_the_command_coil_of_pymodbus_own_server(tmp_path):
    async with pymodbus_server(coil_profile(tmp_path)) as (run, client):
        await run.adapter.run_panel_command("fp", "silence")
        keys = await client.read_coils(40, count=3, device_id=1)
        registers = await client.read_holding_registers(900, count=3, device_id=1)
    assert keys.bits[:3] == [False, True, False]  # the silence coil only
    assert registers.registers == [0, 0, 0]  # and no register written instead


async def test_a_link_stopped_as_a_command_wakes_it_ends_cancelled():
    """A link cancelled in the loop turn that a command wakes it must stop: on Python 3.11,
    asyncio.wait_for returned and swallowed the cancellation (gh-86296)."""
    from adapters.modbus.link import Link, LinkSettings
    from hub.spi.testing import RecordingContext

    link = Link(RecordingContext("fire", []), "127.0.0.1", 1, "socket", [], LinkSettings())
    idle = asyncio.ensure_future(link._idle(30.0))
    for _ in range(3):
        await asyncio.sleep(0)  # parked on the wake event
    link._wake.set()  # what send_command does, then the adapter's stop
    idle.cancel()
    with pytest.raises(asyncio.CancelledError):
        await idle
