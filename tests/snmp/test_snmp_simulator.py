"""The simulator on its own: MIB ordering, state changes and their traps, scenarios, CLI, routing."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysnmp.hlapi.v3arch import asyncio as hlapi

from adapters.snmp import oids
from adapters.snmp.envelope import peek_envelope
from simulators.snmp import cli
from simulators.snmp.agent import SnmpSimulator
from simulators.snmp.model import SimDevice
from simulators.snmp.scenario import ScenarioFileError, apply, build_devices, fleet, load_scenario, run_steps


@settings(max_examples=30)
@given(st.integers(0, 6), st.booleans(), st.lists(st.tuples(st.integers(0, 255), st.integers(1, 6)), max_size=5))
def test_get_next_walks_every_row_once_in_order(ports, ups, macs):
    device = SimDevice("d", ports=ports, ups=ups)
    for last, port in macs:
        if ports >= port:
            device.learn(f"00:00:00:00:00:{last:02x}", port)
    seen = []
    cursor: tuple = ()
    while (found := device.get_next(cursor, now=10.0)) is not None:
        seen.append(found[0])
        cursor = found[0]
    assert seen == sorted(set(seen)) and oids.SYS_UPTIME in seen
    assert device.get(oids.SYS_UPTIME, now=10.0)[1] == device.uptime(10.0)


def test_changes_imply_the_traps_a_device_sends():
    device = SimDevice("sw", ports=4, ups=True)
    device.learn("00:00:00:00:00:01", 2)
    assert [n[0] for n in device.set_port(2, False, now=1)] == [oids.LINK_DOWN]
    assert device.set_port(2, False, now=2) == []
    assert device.fdb == {}  # a dead port's MACs are forgotten
    traps = [n[0] for n in device.set_mains(False, now=3)]
    assert traps == [oids.UPS_TRAP_ON_BATTERY, oids.UPS_TRAP_ALARM_ENTRY_ADDED]
    assert device.get(oids.UPS_OUTPUT_SOURCE, now=4) == ("int", 5)
    assert device.get(oids.UPS_SECONDS_ON_BATTERY, now=13) == ("int", 10)
    assert [n[0] for n in device.set_mains(True, now=20)] == [oids.UPS_TRAP_ALARM_ENTRY_REMOVED]
    with pytest.raises(ValueError, match="no port 9"):
        device.set_port(9, False, now=0)


def test_scenario_errors_say_what_is_wrong():
    with pytest.raises(ScenarioFileError, match=r"s.yaml:1:9: steps\[0\]: action port_down needs port"):
        load_scenario("steps: [{do: port_down, device: sw-1}]", "s.yaml")
    with pytest.raises(ScenarioFileError, match=r"s.yaml:2:10: steps\[0\].do: invalid value 'explode'; expected one of"):
        load_scenario("steps:\n  - {do: explode, device: sw-1}", "s.yaml")
    with pytest.raises(ScenarioFileError, match=r"<scenario>:1:\d+: devices\[0\].macs: MAC must look like"):
        load_scenario("devices: [{name: sw, ports: 2, macs: {'zz': 1}}]")


def test_fleet_addresses_are_consecutive_and_macs_unique():
    devices = build_devices(fleet(3, 1, ports=4, macs_per_port=2))
    assert [d.address for d in devices] == ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4"]
    macs = [mac for d in devices for mac in d.fdb]
    assert len(macs) == len(set(macs)) == 3 * 4 * 2


async def test_scenario_steps_send_v2c_traps_from_the_device_address():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    scenario = load_scenario("""
devices: [{name: sw-a, ports: 4, community: campus}, {name: ups-a, ups: true}]
steps:
  - {after: 0, do: port_down, device: sw-a, port: 2}
  - {after: 0, do: mains_off, device: ups-a}
""")
    sim = await SnmpSimulator.start(build_devices(scenario.devices, "127.0.1.21"),
                                    trap_targets=[receiver.getsockname()])
    try:
        await run_steps(sim, scenario.steps, sleep=lambda _: asyncio.sleep(0))
        loop = asyncio.get_running_loop()
        datagram, source = await asyncio.wait_for(loop.sock_recvfrom(receiver, 65535), 5)
        assert source[0] == "127.0.1.21"
        envelope = peek_envelope(datagram)
        assert (envelope.version_name, envelope.community, envelope.pdu_type) == ("v2c", b"campus", "trap")
        _, source = await asyncio.wait_for(loop.sock_recvfrom(receiver, 65535), 5)
        assert source[0] == "127.0.1.22" and sim.traps_sent == 3
    finally:
        await sim.stop()
        receiver.close()


async def test_devices_sharing_an_address_are_told_apart_by_community_with_pysnmp_client():
    devices = [SimDevice("left", community="left-c", ports=1), SimDevice("right", community="right-c", ports=1)]
    sim = await SnmpSimulator.start(devices)
    try:
        engine = hlapi.SnmpEngine()
        for name, community in (("left", "left-c"), ("right", "right-c")):
            error, status, _, varbinds = await hlapi.get_cmd(
                engine, hlapi.CommunityData(community), await hlapi.UdpTransportTarget.create(("127.0.0.1", sim.port)),
                hlapi.ContextData(), hlapi.ObjectType(hlapi.ObjectIdentity(oids.SYS_NAME)))
            assert not error and not status
            assert bytes(varbinds[0][1]) == name.encode()
        await apply(sim, load_scenario("steps: [{do: silent, device: left}]").steps[0])
        error, _, _, _ = await hlapi.get_cmd(
            engine, hlapi.CommunityData("left-c"),
            await hlapi.UdpTransportTarget.create(("127.0.0.1", sim.port), timeout=0.2, retries=0),
            hlapi.ContextData(), hlapi.ObjectType(hlapi.ObjectIdentity(oids.SYS_NAME)))
        assert error is not None and "timeout" in str(error).lower()
        engine.close_dispatcher()
    finally:
        await sim.stop()


async def test_cli_main_serves_until_cancelled(capsys):
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["--port", "0", "--switches", "1", "--upses", "1", "--ports", "2",
                              "--first-address", "127.0.1.31"])
    task = asyncio.ensure_future(args.main(args))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if "ups-0001" in capsys.readouterr().out:
            break
    else:
        pytest.fail("simulator did not print its devices")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
