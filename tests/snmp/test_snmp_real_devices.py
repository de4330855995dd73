"""The adapter polling recordings of real Cisco, H3C and Huawei switches and a Huawei UPS.

The recordings come from ``snmpsim-data`` and are served by ``snmpsim-command-responder``
(:mod:`snmpsim_peer`): an agent and data we did not write, with what real devices do that our
simulator did not (sysUpTime that stands still, dozens of ports down, VLAN and virtual
interfaces, sysDescr with line breaks, Comware's Q-BRIDGE and Cisco's BRIDGE forwarding tables).
"""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from snmp_fixtures import SITE
from snmpsim_peer import ENGINE_ID, V3_ACCOUNTS, start_snmpsim

from adapters.snmp.adapter import SnmpAdapter
from adapters.snmp.options import SnmpDeviceOptions, SnmpOptions
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext, eventually
from tests.conftest import run_on_loop

pytestmark = pytest.mark.slow
SWITCHES = ("cisco-c3750", "h3c-e528-2", "huawei-s5720")
UPS = "huawei-gse200m"
POLLS = 6  # per device: enough for a standing sysUpTime to have looked like a restart five times


@pytest.fixture(scope="module")
def snmpsim(tmp_path_factory):
    sim = run_on_loop(start_snmpsim(tmp_path_factory.mktemp("snmpsim")))
    yield sim
    sim.stop()


def spec(name: str, port: int, **options) -> DeviceSpec:
    switch = name != UPS
    kind = "switch" if switch else "ups"
    # snmpsim is a Python agent reading bz2 recordings: on a loaded machine it can be slow to answer
    common = dict(host="127.0.0.1", port=port, poll_interval=0.3, timeout=5.0, retries=2, interfaces=switch,
                  ups=not switch, terminals=switch, terminal_interval=60)
    return DeviceSpec(id=name, kind=kind, adapter="snmp", site=SITE,
                      options=SnmpDeviceOptions(**{**common, **options}))


async def run_adapter(specs: list[DeviceSpec], options: SnmpOptions, check) -> RecordingContext:
    ctx = RecordingContext("snmp", specs)
    adapter = SnmpAdapter(ctx, options)
    task = asyncio.ensure_future(adapter.run())
    try:
        await asyncio.wait_for(adapter.wait_ready(), 15)
        await check(ctx, adapter)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        ctx.close()
    return ctx


def polled(ctx: RecordingContext) -> float:
    return ctx.metrics.total("snmp_polls", result="ok")


async def test_real_switches_and_ups_online_without_false_restarts_or_link_down_flood(snmpsim):
    specs = [spec(name, snmpsim.port, community=name) for name in (*SWITCHES, UPS)]

    async def check(ctx, adapter):
        await eventually(lambda: polled(ctx) >= POLLS * len(specs), timeout=60, what=f"{POLLS} polls per device")
        await ctx.wait_for(lambda: all(ctx.state(d) == "online" for d in (*SWITCHES, UPS)), what="all online")
        assert ctx.of_type("network.device_restarted") == []  # their sysUpTime stands still
        # 27 (H3C) and 23 (Huawei) physical ports were down when the hub first looked: state, not alarms
        assert ctx.of_type("network.link_down") == []
        assert [e.type for e in ctx.events if e.type.startswith("power.")] == []  # the UPS is on mains
        terminals = {switch: len(adapter.terminals(switch)) for switch in SWITCHES}
        assert all(terminals.values()), terminals  # MAC inventory from BRIDGE-MIB and Q-BRIDGE-MIB
        facts = {d: ctx.records[d].facts for d in (*SWITCHES, UPS)}
        assert facts["cisco-c3750"]["sys_descr"].startswith("Cisco IOS Software, C3750 Software")
        assert "\n" in facts["h3c-e528-2"]["sys_descr"] and ":" not in facts["h3c-e528-2"]["sys_descr"][:12]
        assert facts["huawei-s5720"]["sys_descr"].startswith("S5720")
        assert (facts[UPS]["ups_manufacturer"], facts[UPS]["ups_model"]) == ("HUAWEI", "UPS5000")

    await run_adapter(specs, SnmpOptions(trap_host="127.0.0.1", trap_port=0), check)


@pytest.mark.parametrize("account", V3_ACCOUNTS, ids=lambda a: a.name)
async def test_v3_polling_of_real_recordings(snmpsim, account):
    specs = [spec(name, snmpsim.port, version="v3", user=account.name, context=name, engine_id=ENGINE_ID)
             for name in ("h3c-e528-2", UPS)]
    options = SnmpOptions(trap_host="127.0.0.1", trap_port=0, users=[account.options()])

    async def check(ctx, adapter):
        await eventually(lambda: polled(ctx) >= 4 * len(specs), timeout=30, what="v3 polls answered")
        await ctx.wait_for(lambda: ctx.state("h3c-e528-2") == ctx.state(UPS) == "online", what="online")
        assert ctx.records[UPS].facts["ups_model"] == "UPS5000"
        await eventually(lambda: adapter.terminals("h3c-e528-2"), what="terminals over v3")
        assert ctx.of_type("network.device_restarted") == [] and ctx.of_type("network.link_down") == []

    await run_adapter(specs, options, check)
