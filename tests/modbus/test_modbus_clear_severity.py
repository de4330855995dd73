"""One rule for every adapter: a clear carries the severity of what it clears. Modbus: every
condition of every shipped profile, raised and ended on the simulator, read by the adapter over TCP."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.modbus.adapter import ModbusAdapter, ModbusDeviceOptions, ModbusOptions
from adapters.modbus.profile import resolve_profile
from hub.events import Severity, Site, State
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec

PROFILES = sorted(p.stem for p in (Path(__file__).parents[2] / "config" / "profiles").glob("*.yaml"))


def conditions_of(profile):
    """(event, labels) once per event type of the profile, at the first word that has it."""
    seen = {}
    for instance in profile.instances():
        signal = instance.signal
        if signal.value is not None:
            candidates = signal.value.thresholds
        else:
            candidates = (signal.bits if signal.bits is not None else signal.enum).values()
        for condition in candidates:
            seen.setdefault(condition.event, dict(instance.labels))
    return list(seen.items())


@pytest.mark.parametrize("profile_name", PROFILES)
async def test_every_clear_carries_the_severity_it_clears(profile_name):
    profile = resolve_profile(profile_name)
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", profile, 1)])])
    ctx = RecordingContext("fire", [DeviceSpec(
        id="fp", kind="fire_panel", adapter="fire", site=Site(region_code="140802", school_id="sch-1"),
        options=ModbusDeviceOptions(host="127.0.0.1", port=sim.port_of("fp"), profile=profile_name,
                                    poll_interval=0.05))])
    task = asyncio.ensure_future(ModbusAdapter(ctx, ModbusOptions(timeout=0.5)).run())
    checked = []
    try:
        await ctx.wait_for(lambda: ctx.state("fp") == "online", what="fp online")
        for event, labels in conditions_of(profile):
            where = {key: int(value) for key, value in labels.items()}
            sim.panel("fp").raise_condition(event, **where)
            raised = await ctx.wait_for_event(event, state=State.STATE_RAISED)
            sim.panel("fp").raise_condition(event, **where, on=False)
            cleared = await ctx.wait_for_event(event, state=State.STATE_CLEARED)
            checked.append((event, Severity.Name(raised.severity), Severity.Name(cleared.severity)))
            ctx.events.clear()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        ctx.close()
        await sim.stop()
    assert len(checked) >= 2 and all(raised == cleared for _, raised, cleared in checked), checked
