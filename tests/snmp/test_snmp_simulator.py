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


def test_a_switch_answers_the_interface_table_a_real_switch_answers():
    device = SimDevice("sw", ports=2, if_index_base=10100)
    port = 10101
    assert device.get(oids.IF_NUMBER, now=0) == ("int", 3)  # two ports and the VLAN interface
    assert device.get(oids.IF_TYPE + (port,), now=0) == ("int", 6)  # ethernetCsmacd
    assert device.get(oids.IF_SPEED + (port,), now=0) == ("gauge", 1_000_000_000)
    assert device.get(oids.IF_HIGH_SPEED + (port,), now=0) == ("gauge", 1000)
    syntax, mac = device.get(oids.IF_PHYS_ADDRESS + (port,), now=0)
    assert syntax == "octets" and len(mac) == 6
    assert device.get(oids.IF_ADMIN_STATUS + (port,), now=0) == ("int", 1)
    assert device.get(oids.IF_NAME + (port,), now=0) == ("octets", b"Gi0/1")
    assert device.get(oids.IF_DESCR + (port,), now=0) == ("octets", b"GigabitEthernet0/1")
    vlan = [oid[-1] for oid in device.rows() if oids.is_under(oid, oids.IF_TYPE) and device.get(oid, 0) == ("int", 136)]
    assert len(vlan) == 1 and device.get(oids.IF_NAME + (vlan[0],), now=0) == ("octets", b"Vlan1")
    for counter in (oids.IF_IN_OCTETS, oids.IF_OUT_OCTETS, oids.IF_IN_UCAST_PKTS, oids.IF_OUT_UCAST_PKTS,
                    oids.IF_IN_ERRORS, oids.IF_OUT_ERRORS):
        assert device.get(counter + (port,), now=0)[0] == "counter"
    assert device.get(oids.IF_HC_IN_OCTETS + (port,), now=0)[0] == "counter64"
    # traffic counters grow with the uptime
    assert device.get(oids.IF_IN_OCTETS + (port,), now=100)[1] > device.get(oids.IF_IN_OCTETS + (port,), now=10)[1]


def test_an_administrator_shutting_a_port_sends_link_down_with_admin_status_down():
    device = SimDevice("sw", ports=2)
    [(trap_oid, varbinds)] = device.set_port_admin(2, False, now=1)
    assert trap_oid == oids.LINK_DOWN and (oids.IF_ADMIN_STATUS + (2,), ("int", 2)) in varbinds
    assert device.get(oids.IF_ADMIN_STATUS + (2,), now=2) == ("int", 2)
    assert device.get(oids.IF_OPER_STATUS + (2,), now=2) == ("int", 2)
    assert device.set_port_admin(2, False, now=3) == []
    assert [n[0] for n in device.set_port_admin(2, True, now=4)] == [oids.LINK_UP]


def test_a_ups_answers_the_ups_identity_group():
    device = SimDevice("ups-1", ups=True)
    for oid in (oids.UPS_IDENT_MANUFACTURER, oids.UPS_IDENT_MODEL, oids.UPS_IDENT_UPS_SOFTWARE_VERSION,
                oids.UPS_IDENT_AGENT_SOFTWARE_VERSION, oids.UPS_IDENT_NAME, oids.UPS_IDENT_ATTACHED_DEVICES):
        syntax, value = device.get(oid, now=0)
        assert syntax == "octets" and value
    assert device.get(oids.UPS_IDENT_NAME, now=0) == ("octets", b"ups-1")


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


async def test_scenario_shuts_and_enables_a_port():
    scenario = load_scenario("""
devices: [{name: sw-a, ports: 4}]
steps:
  - {after: 0, do: port_shutdown, device: sw-a, port: 3}
""")
    sim = await SnmpSimulator.start(build_devices(scenario.devices, "127.0.1.23"))
    try:
        await run_steps(sim, scenario.steps, sleep=lambda _: asyncio.sleep(0))
        device = sim.device("sw-a")
        assert device.get(oids.IF_ADMIN_STATUS + (3,), now=0) == ("int", 2)
        await apply(sim, load_scenario("steps: [{do: port_enable, device: sw-a, port: 3}]").steps[0])
        assert device.get(oids.IF_ADMIN_STATUS + (3,), now=0) == ("int", 1)
        assert device.get(oids.IF_OPER_STATUS + (3,), now=0) == ("int", 1)
    finally:
        await sim.stop()


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
