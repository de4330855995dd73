"""Independent implementations: net-snmp's snmpget/snmpwalk read our simulator, and its
snmptrap/snmpinform send to our receiver. Run, not skipped, whenever the tools are installed."""
from __future__ import annotations

import pytest
from snmp_fixtures import AUTH_KEY, NET_SNMP, NO_NET_SNMP, PRIV_KEY, TERMINAL_A, Rig, run_tool

from hub.events import State
from hub.spi.testing import eventually
from simulators.snmp.model import SimDevice

pytestmark = pytest.mark.skipif(not NET_SNMP, reason=NO_NET_SNMP)
V3_AUTHPRIV = ["-v3", "-u", "trapuser", "-l", "authPriv", "-a", "SHA-256", "-A", AUTH_KEY, "-x", "AES", "-X", PRIV_KEY]


@pytest.fixture
async def rig():
    rig = await Rig.start()
    yield rig
    await rig.stop()


async def test_snmpget_reads_the_simulated_switch(rig):
    code, out, err = await run_tool("snmpget", "-v2c", "-c", "public", "-On", "-Oq", f"127.0.1.1:{rig.sim.port}",
                                    "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.2.2.1.8.103")
    assert code == 0, err
    assert out.split("\n")[:2] == ['.1.3.6.1.2.1.1.5.0 "sw-1"', ".1.3.6.1.2.1.2.2.1.8.103 1"]


async def test_snmpget_v1_missing_object_is_nosuchname(rig):
    code, out, err = await run_tool("snmpget", "-v1", "-c", "public", f"127.0.1.3:{rig.sim.port}", "1.3.6.1.2.1.1.99.0")
    assert code != 0 and "noSuchName" in out + err


async def test_snmpwalk_reads_the_forwarding_tables_and_sees_a_port_go_down(rig):
    code, out, err = await run_tool("snmpwalk", "-v2c", "-c", "public", "-On", "-Oq", f"127.0.1.1:{rig.sim.port}",
                                    "1.3.6.1.2.1.17.4.3.1.2")
    assert code == 0, err
    mac_index = ".".join(str(int(b, 16)) for b in TERMINAL_A.split(":"))
    assert f".1.3.6.1.2.1.17.4.3.1.2.{mac_index} 3" in out.splitlines()
    await rig.sim.port_down("sw-1", 2)
    code, out, err = await run_tool("snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Oq", f"127.0.1.1:{rig.sim.port}",
                                    "1.3.6.1.2.1.2.2.1.8")
    assert code == 0, err
    assert out.splitlines()[:3] == [".1.3.6.1.2.1.2.2.1.8.101 1", ".1.3.6.1.2.1.2.2.1.8.102 2", ".1.3.6.1.2.1.2.2.1.8.103 1"]


async def test_snmpget_reads_the_interface_and_ups_identity_groups_as_a_real_device_answers_them(rig):
    port = 103  # sw-1 port 3
    code, out, err = await run_tool(
        "snmpget", "-v2c", "-c", "public", "-On", "-Oe", f"127.0.1.1:{rig.sim.port}", "1.3.6.1.2.1.2.1.0",
        *[f"1.3.6.1.2.1.2.2.1.{column}.{port}" for column in (3, 5, 6, 7, 10)],
        *[f"1.3.6.1.2.1.31.1.1.1.{column}.{port}" for column in (1, 6, 15)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ".1.3.6.1.2.1.2.1.0 = INTEGER: 9"  # 8 ports and Vlan1
    assert lines[1] == f".1.3.6.1.2.1.2.2.1.3.{port} = INTEGER: 6"
    assert lines[2] == f".1.3.6.1.2.1.2.2.1.5.{port} = Gauge32: 1000000000"
    assert lines[3].startswith(f".1.3.6.1.2.1.2.2.1.6.{port} = Hex-STRING: 02 ")
    assert lines[4] == f".1.3.6.1.2.1.2.2.1.7.{port} = INTEGER: 1"
    assert lines[5].startswith(f".1.3.6.1.2.1.2.2.1.10.{port} = Counter32: ")
    assert lines[6] == f'.1.3.6.1.2.1.31.1.1.1.1.{port} = STRING: "Gi0/3"'
    assert lines[7].startswith(f".1.3.6.1.2.1.31.1.1.1.6.{port} = Counter64: ")
    assert lines[8] == f".1.3.6.1.2.1.31.1.1.1.15.{port} = Gauge32: 1000"
    code, out, err = await run_tool("snmpwalk", "-v2c", "-c", "public", "-On", "-Oq", f"127.0.1.3:{rig.sim.port}",
                                    "1.3.6.1.2.1.33.1.1")
    assert code == 0, err
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == [f".1.3.6.1.2.1.33.1.1.{n}.0" for n in range(1, 7)]
    assert '.1.3.6.1.2.1.33.1.1.5.0 "ups-1"' in out.splitlines()


async def test_snmpget_v3_authpriv_with_context_reads_the_ups(rig):
    code, out, err = await run_tool("snmpget", *V3_AUTHPRIV, "-n", "ups-1", "-On", "-Oq",
                                    f"127.0.1.3:{rig.sim.port}", "1.3.6.1.2.1.33.1.4.1.0")
    assert code == 0, err
    assert out.strip() == ".1.3.6.1.2.1.33.1.4.1.0 3"


async def test_snmptrap_v2c_link_down_becomes_an_event(rig):
    code, _, err = await run_tool(
        "snmptrap", "--clientaddr=127.0.1.2", "-v2c", "-c", "public", f"127.0.0.1:{rig.adapter.trap_port}", "12345",
        "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.6", "i", "6", "1.3.6.1.2.1.2.2.1.8.6", "i", "2")
    assert code == 0, err
    event = await rig.ctx.wait_for_event("network.link_down", source_device_id="sw-2")
    assert (event.state, event.attributes["port"], event.attributes["source"]) == (State.STATE_RAISED, "6", "trap")


async def test_snmptrap_v1_ups_trap_maps_like_v2(rig):
    code, _, err = await run_tool(
        "snmptrap", "--clientaddr=127.0.1.3", "-v1", "-c", "public", f"127.0.0.1:{rig.adapter.trap_port}",
        "1.3.6.1.2.1.33.2", "127.0.1.3", "6", "1", "12345")
    assert code == 0, err
    event = await rig.ctx.wait_for_event("power.on_battery", source_device_id="ups-1")
    assert event.state == State.STATE_RAISED


async def test_snmptrap_v3_authpriv_identified_by_engine_id(rig):
    engine_id = SimDevice("sw-1").engine_id.hex()  # configured as sw-1's engine_id; sent from 127.0.0.1
    code, _, err = await run_tool("snmptrap", *V3_AUTHPRIV, "-e", f"0x{engine_id}",
                                  f"127.0.0.1:{rig.adapter.trap_port}", "12345", "1.3.6.1.6.3.1.1.5.2")
    assert code == 0, err
    event = await rig.ctx.wait_for_event("network.device_restarted", source_device_id="sw-1")
    assert event.attributes["trap"] == "warmStart"
    assert rig.ctx.metrics.total("snmp_traps_received", version="v3") == 1


async def test_inform_is_answered_only_once_journaled(rig):
    ctx = rig.ctx
    inform = ["snmpinform", "--clientaddr=127.0.1.2", "-v2c", "-c", "public", "-t", "0.3", "-r", "1",
              f"127.0.0.1:{rig.adapter.trap_port}", "12345", "1.3.6.1.4.1.99999.0.1"]
    ctx.fail_emits = True
    code, _, err = await run_tool(*inform)
    assert code != 0 and "Timeout" in err  # the journal refused it: no answer, the sender keeps it
    ctx.fail_emits = False
    code, _, err = await run_tool(*inform)
    assert code == 0, err
    await ctx.wait_for_event("network.trap", source_device_id="sw-2")


async def test_v3_inform_authpriv(rig):
    code, _, err = await run_tool("snmpinform", "--clientaddr=127.0.1.3", *V3_AUTHPRIV, "-t", "1", "-r", "1",
                                  f"127.0.0.1:{rig.adapter.trap_port}", "12345", "1.3.6.1.2.1.33.2.2")
    assert code == 0, err
    event = await rig.ctx.wait_for_event("power.ups_test_completed", source_device_id="ups-1")
    assert event.state == State.STATE_MOMENTARY
    await eventually(lambda: rig.ctx.metrics.total("snmp_v3_sync_reports") >= 1, what="v3 discovery seen")


async def test_ipv6_receiver_takes_traps_and_answers_informs():
    from snmp_fixtures import adapter_options
    rig = await Rig.start(options=adapter_options(trap_host="::1"))
    try:
        code, _, err = await run_tool("snmpinform", "-v2c", "-c", "public", "-t", "1", "-r", "1",
                                      f"udp6:[::1]:{rig.adapter.trap_port}", "12345", "1.3.6.1.4.1.99999.0.6")
        assert code == 0, err  # answered over IPv6
        await eventually(lambda: rig.ctx.metrics.total("snmp_traps_unknown_sender") == 1,
                         what="inform from ::1 (no device there) counted")
    finally:
        await rig.stop()
