"""The adapter against the simulator over loopback: polling, traps, terminals, correlation."""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from snmp_fixtures import AUTH_KEY, CAMERA, PRIV_KEY, SITE, TERMINAL_A, TERMINAL_B, Rig, adapter_options, fleet, polls

from adapters.snmp.adapter import SnmpAdapter
from adapters.snmp.options import SnmpDeviceOptions
from hub.events import Severity, State
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext, eventually
from simulators.snmp.agent import SnmpSimulator, V3User
from simulators.snmp.model import SimDevice


@pytest.fixture
async def rig_v2c():
    rig = await Rig.start()
    yield rig
    await rig.stop()


async def test_polls_facts_and_collects_terminals_with_bridge_port_mapping(rig_v2c):
    ctx = rig_v2c.ctx
    await ctx.wait_for(lambda: len(rig_v2c.adapter.terminals()) == 2, what="two terminals")
    terminals = {t.mac: (t.switch, t.port) for t in rig_v2c.adapter.terminals()}
    # sw-1 numbers ifIndex = 100 + port: the bridge port -> ifIndex mapping was applied
    assert terminals == {TERMINAL_A: ("sw-1", 103), TERMINAL_B: ("sw-1", 105)}
    new = await ctx.wait_for(lambda: len(ctx.of_type("network.terminal_new")) == 2 and ctx.of_type("network.terminal_new"))
    assert {e.attributes["mac"] for e in new} == {TERMINAL_A, TERMINAL_B}
    await ctx.wait_for(lambda: all(ctx.state(d) == "online" for d in ("sw-1", "sw-2", "ups-1")), what="online")
    assert ctx.records["sw-1"].facts["sys_name"] == "sw-1"
    assert {k: ctx.records["ups-1"].facts[k] for k in ("ups_manufacturer", "ups_model")} == {
        "ups_manufacturer": "campus-hub", "ups_model": "SIM-UPS 3000"}  # UPS-MIB upsIdent
    await eventually(lambda: polls(rig_v2c) >= 3)


async def test_port_down_trap_raises_link_down_and_takes_the_camera_behind_it_offline(rig_v2c):
    ctx, sim = rig_v2c.ctx, rig_v2c.sim
    await ctx.wait_for(lambda: ctx.state("sw-1") == "online")
    await sim.port_down("sw-1", 3)
    down = await ctx.wait_for_event("network.link_down", state=State.STATE_RAISED)
    assert down.source_device_id == "sw-1" and down.attributes["port"] == "103"
    assert down.attributes["source"] == "trap" and down.raw.protocol == "snmp" and down.raw.data
    await ctx.wait_for(lambda: ctx.state(CAMERA.id) == "offline", what="camera offline")
    assert ctx.records[CAMERA.id].reason == "upstream port down"
    await sim.port_up("sw-1", 3)
    cleared = await ctx.wait_for_event("network.link_down", state=State.STATE_CLEARED)
    assert cleared.severity == down.severity == Severity.SEVERITY_MAJOR  # a clear carries what it clears
    await ctx.wait_for(lambda: ctx.state(CAMERA.id) == "online", what="camera back online")
    # the poll saw the same changes: still one raise and one clear
    await eventually(lambda: polls(rig_v2c) >= 12)
    assert len(ctx.of_type("network.link_down")) == 2


async def test_no_link_down_flood_at_the_first_poll_or_after_a_hub_restart():
    devices = fleet()
    switch = devices[0]  # sw-1: ifIndex = 100 + port, and a VLAN interface
    for port in (2, 4, 6):
        switch.set_port(port, False, now=0)  # no cable: down before the hub first looked
    switch.set_port_admin(7, False, now=0)  # shut by an administrator
    rig = await Rig.start(devices=devices)
    try:
        ctx = rig.ctx
        await eventually(lambda: polls(rig) >= 6)
        assert ctx.of_type("network.link_down") == []
        await rig.sim.port_admin("sw-1", 8, False)  # an administrator shuts a port: no alarm
        await rig.sim.port_down("sw-1", 5)
        down = await ctx.wait_for_event("network.link_down", state=State.STATE_RAISED)
        assert (down.attributes["port"], down.attributes["port_name"], down.attributes["if_descr"]) == (
            "105", "Gi0/5", "GigabitEthernet0/5")
        await eventually(lambda: polls(rig) >= 12)
        assert len(ctx.of_type("network.link_down")) == 1
        await rig.stop_hub()
        await rig.start_hub()  # the hub restarts: port 5 is still down, nothing new happened
        await eventually(lambda: polls(rig) >= 6)
        assert rig.ctx.of_type("network.link_down") == []
    finally:
        await rig.stop()


async def test_lost_trap_is_made_good_by_polling(rig_v2c):
    ctx, sim = rig_v2c.ctx, rig_v2c.sim
    sim.trap_targets.clear()  # the traps get lost
    await ctx.wait_for(lambda: ctx.state("sw-2") == "online")
    await sim.port_down("sw-2", 4)
    down = await ctx.wait_for_event("network.link_down", state=State.STATE_RAISED)
    assert (down.source_device_id, down.attributes["port"], down.attributes["source"]) == ("sw-2", "4", "poll")
    await sim.reboot("sw-2")
    restarted = await ctx.wait_for_event("network.device_restarted")
    assert restarted.attributes["source"] == "poll"


async def test_reboot_trap_reported_once(rig_v2c):
    ctx, sim = rig_v2c.ctx, rig_v2c.sim
    await eventually(lambda: polls(rig_v2c) >= 3)
    await sim.reboot("sw-2")
    restarted = await ctx.wait_for_event("network.device_restarted")
    assert restarted.attributes["trap"] == "coldStart"
    await eventually(lambda: polls(rig_v2c) >= 12)
    assert len(ctx.of_type("network.device_restarted")) == 1


async def test_moved_and_gone_terminals(rig_v2c):
    ctx, sim = rig_v2c.ctx, rig_v2c.sim
    await ctx.wait_for(lambda: len(rig_v2c.adapter.terminals()) == 2)
    await sim.learn_mac("sw-2", TERMINAL_A, 6)
    moved = await ctx.wait_for_event("network.terminal_moved")
    assert (moved.source_device_id, moved.attributes["port"], moved.attributes["previous_switch"],
            moved.attributes["previous_port"]) == ("sw-2", "6", "sw-1", "103")
    await sim.forget_mac("sw-1", TERMINAL_B)
    gone = await ctx.wait_for_event("network.terminal_gone")
    assert gone.attributes["mac"] == TERMINAL_B
    assert [t.mac for t in rig_v2c.adapter.terminals("sw-2")] == [TERMINAL_A]


async def test_mains_cut_raises_on_battery_and_polling_clears_it(rig_v2c):
    ctx, sim = rig_v2c.ctx, rig_v2c.sim
    await ctx.wait_for(lambda: ctx.state("ups-1") == "online")
    await sim.mains("ups-1", False)
    on_battery = await ctx.wait_for_event("power.on_battery", state=State.STATE_RAISED)
    assert on_battery.source_device_id == "ups-1" and on_battery.attributes["source"] == "trap"
    await sim.battery_low("ups-1", True)
    low = await ctx.wait_for_event("power.battery_low", state=State.STATE_RAISED)
    assert low.category == on_battery.category
    await sim.mains("ups-1", True)
    back_on_mains = await ctx.wait_for_event("power.on_battery", state=State.STATE_CLEARED)
    assert back_on_mains.severity == on_battery.severity == Severity.SEVERITY_CRITICAL
    assert len(ctx.of_type("power.on_battery")) == 2


async def test_unknown_trap_kept_as_generic_network_event(rig_v2c):
    ctx, sim = rig_v2c.ctx, rig_v2c.sim
    vendor = (1, 3, 6, 1, 4, 1, 9, 9, 41, 2, 0, 1)
    await sim.notify("sw-1", [(vendor, [((1, 3, 6, 1, 4, 1, 9, 9, 41, 1, 2, 3, 1, 5, 1), ("octets", b"fan tray out"))])],
                     "vendor trap")
    event = await ctx.wait_for_event("network.trap")
    assert event.attributes["trap_oid"] == "1.3.6.1.4.1.9.9.41.2.0.1"
    assert event.attributes["vb.1.3.6.1.4.1.9.9.41.1.2.3.1.5.1"] == "fan tray out"


async def test_v3_authpriv_traps_from_per_device_engine_ids():
    rig = await Rig.start(trap_version="v3")
    try:
        ctx = rig.ctx
        await ctx.wait_for(lambda: ctx.state("sw-1") == "online")
        vendor = (1, 3, 6, 1, 4, 1, 99999, 0, 7)  # only a trap can tell this
        await rig.sim.notify("sw-1", [(vendor, [((1, 3, 6, 1, 4, 1, 99999, 1), ("int", 42))])], "vendor trap")
        event = await ctx.wait_for_event("network.trap")
        assert event.source_device_id == "sw-1" and event.attributes["vb.1.3.6.1.4.1.99999.1"] == "42"
        assert ctx.metrics.total("snmp_traps_received", version="v3") == 1
        assert ctx.metrics.total("snmp_traps_rejected") == 0
    finally:
        await rig.stop()


async def test_v3_polling_recovers_when_the_agent_restarts_with_a_new_engine_id():
    user = V3User("trapuser", AUTH_KEY, PRIV_KEY)
    sim = await SnmpSimulator.start([SimDevice("sw-3", address="127.0.1.4", ports=2)], v3_user=user,
                                    agent_engine_id=bytes.fromhex("8000000001aa000001"))
    spec = DeviceSpec(id="sw-3", kind="switch", adapter="snmp", site=SITE, options=SnmpDeviceOptions(
        host="127.0.1.4", port=sim.port, version="v3", user="trapuser", poll_interval=0.25, timeout=0.3, retries=0))
    ctx = RecordingContext("snmp", [spec])
    task = asyncio.ensure_future(SnmpAdapter(ctx, adapter_options()).run())
    try:
        await eventually(lambda: ctx.metrics.total("snmp_polls", result="ok") >= 2, what="v3 polls answered")
        await sim.stop()  # the agent restarts (a firmware update, a new engine id)
        sim = await SnmpSimulator.start([SimDevice("sw-3", address="127.0.1.4", ports=2)], v3_user=user,
                                        host_port=sim.port, agent_engine_id=bytes.fromhex("8000000001bb000002"))
        answered = ctx.metrics.total("snmp_polls", result="ok")
        await eventually(lambda: ctx.metrics.total("snmp_polls", result="ok") >= answered + 3, timeout=10,
                         what="v3 polls answered by the new engine")
        await ctx.wait_for(lambda: ctx.state("sw-3") == "online", what="sw-3 online")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sim.stop()
        ctx.close()


async def test_devices_waiting_for_a_poll_slot_behind_a_silent_one_say_they_are_late():
    # One poll at a time: every poll of the silent switch holds the slot for its whole timeout
    # (0.6 s), longer than the others' poll interval (0.25 s).
    rig = await Rig.start(options=adapter_options(max_concurrent_polls=1), timeout=0.6)
    try:
        ctx = rig.ctx
        await ctx.wait_for(lambda: all(ctx.state(d) == "online" for d in ("sw-1", "sw-2", "ups-1")), what="online")
        rig.sim.misbehave("sw-1", silent=True)
        await eventually(lambda: any("max_concurrent_polls" in ctx.records[d].facts.get("late", "")
                                     for d in ("sw-2", "ups-1")), what="a neighbour late because of the bound")
        assert ctx.metrics.gauges[("devices_late", (("bound", "max_concurrent_polls"),))] >= 1
        rig.sim.misbehave("sw-1", silent=False)
        await eventually(lambda: all(ctx.records[d].facts.get("late", "") == "" for d in ("sw-1", "sw-2", "ups-1")),
                         timeout=10.0, what="every device on time again")
        assert ctx.metrics.gauges[("devices_late", (("bound", "max_concurrent_polls"),))] == 0
    finally:
        await rig.stop()
