"""A rule's panel action in a running hub, over Modbus TCP to the simulated fire panel: a command
the profile marks safe is sent and obeyed; one it does not (reset) is refused and journaled failed."""
from __future__ import annotations

from adapters.modbus.adapter import ModbusAdapter, ModbusDeviceOptions, ModbusOptions
from adapters.modbus.profile import resolve_profile
from hub.events import Site
from hub.kernel import AdapterInstance
from hub.kernel._registry import DeviceState
from hub.spi import DeviceSpec
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec
from tests.linkage.helpers import linkage_events, linkage_hub, phases, until
from tests.modbus.test_modbus_adapter import FAST

RULES = {"rules": [
    {"id": "fire-silence", "version": "1", "when": {"categories": ["fire"], "type_prefixes": ["fire.alarm"]},
     "do": [{"panel": {"device": "fp-1", "command": "silence"}}]},
    {"id": "fire-reset", "version": "1", "when": {"categories": ["fire"], "type_prefixes": ["fire.alarm"]},
     "do": [{"panel": {"device": "fp-1", "command": "reset"}}]},
]}


async def test_a_fire_alarm_silences_its_panel_through_a_rule_and_a_reset_from_a_rule_is_refused(tmp_path):
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp-1", resolve_profile("generic"), 1)])])
    panel = DeviceSpec(id="fp-1", kind="fire_panel", adapter="fire", site=Site(region_code="140802", school_id="sch-1"),
                       options=ModbusDeviceOptions(host="127.0.0.1", port=sim.port_of("fp-1"), poll_interval=0.05))
    try:
        async with linkage_hub(tmp_path, [panel], RULES,
                               adapters=[AdapterInstance("fire", ModbusAdapter, ModbusOptions(**FAST))]) as hub:
            await until(lambda: hub.registry.get("fp-1").state == DeviceState.DEVICE_STATE_ONLINE, "fp-1 online")
            sim.panel("fp-1").raise_condition("fire.alarm", zone=2)
            events = await linkage_events(hub, lambda es: len([p for p in phases(es, "panel") if p[0] != "started"]) == 2,
                                          "both panel actions' results")
    finally:
        await sim.stop()
    results = {e.attributes["rule"]: e for e in events if e.type != "linkage.action.started"}
    assert results["fire-silence"].type == "linkage.action.done"
    assert results["fire-silence"].attributes["command"] == "silence"
    assert results["fire-reset"].type == "linkage.action.failed"
    assert "does not mark 'reset' safe for rules" in results["fire-reset"].attributes["reason"]
    assert sim.panel("fp-1").commands == ["silence"]
