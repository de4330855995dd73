"""A rule's panel action in a running hub, over Modbus TCP to the simulated fire panel: a command
the profile marks safe is sent and obeyed; one it does not (reset) is refused and journaled failed."""
from __future__ import annotations

import asyncio
import sys

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


OTHER_SUPERVISOR = "other-county-supervisor-token"


async def test_a_supervisor_resets_the_panel_over_grpc_and_the_command_and_its_result_are_journaled(tmp_path):
    import grpc
    import pytest

    from hub.access import Scope, Subscriber, hash_token
    from hub.api.grpc.client import HubClient
    from tests.kernel.conftest import ALL_TOKEN, POLICE_TOKEN, SUBSCRIBERS

    subscribers = [*SUBSCRIBERS, Subscriber("sup-other", hash_token(OTHER_SUPERVISOR),
                                            Scope(region_prefixes=("110101",)), "supervisor")]
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp-1", resolve_profile("generic"), 1)])])
    panel = DeviceSpec(id="fp-1", kind="fire_panel", adapter="fire", site=Site(region_code="140802", school_id="sch-1"),
                       options=ModbusDeviceOptions(host="127.0.0.1", port=sim.port_of("fp-1"), poll_interval=0.05))
    try:
        async with linkage_hub(tmp_path, [panel], {}, subscribers=subscribers,
                               adapters=[AdapterInstance("fire", ModbusAdapter, ModbusOptions(**FAST))]) as hub:
            await until(lambda: hub.registry.get("fp-1").state == DeviceState.DEVICE_STATE_ONLINE, "fp-1 online")
            sim.panel("fp-1").raise_condition("fire.alarm", zone=2)
            await until(lambda: hub.registry.get("fp-1") and sim.panel("fp-1").active_events(), "alarm")
            target = f"127.0.0.1:{hub.grpc_port}"
            async with HubClient(target, POLICE_TOKEN) as operator:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await operator.run_panel_command("fp-1", "reset")
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            async with HubClient(target, OTHER_SUPERVISOR) as elsewhere:
                with pytest.raises(grpc.aio.AioRpcError) as hidden:
                    await elsewhere.run_panel_command("fp-1", "reset")
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
            async with HubClient(target, ALL_TOKEN) as supervisor:
                sequence = await supervisor.run_panel_command("fp-1", "reset", comment="false alarm, checked")
                with pytest.raises(grpc.aio.AioRpcError) as unknown:
                    await supervisor.run_panel_command("fp-1", "evacuate")
            assert unknown.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            await until(lambda: not sim.panel("fp-1").active_events(), "the panel reset")
            cli = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub.cli", "panel", "acknowledge", "fp-1", "--target", target,
                "--token", ALL_TOKEN, "--comment", "from the desk", stdout=asyncio.subprocess.PIPE)
            printed, _ = await cli.communicate()
            assert cli.returncode == 0 and b"fp-1: acknowledge done (journal sequence" in printed
            events = await linkage_events(hub, lambda es: len(es) >= 7, "the commands journaled")
    finally:
        await sim.stop()
    assert sim.panel("fp-1").commands == ["reset", "acknowledge"]
    assert [(e.type.rsplit(".", 1)[1], e.attributes["actor"], e.attributes["command"]) for e in events] == [
        ("failed", "police-yanhu", "reset"), ("started", "ops", "reset"), ("done", "ops", "reset"),
        ("started", "ops", "evacuate"), ("failed", "ops", "evacuate"),
        ("started", "ops", "acknowledge"), ("done", "ops", "acknowledge")]
    done = events[2]
    assert done.attributes["comment"] == "false alarm, checked" and done.attributes["role"] == "supervisor"
    assert done.site.school_id == "sch-1"
    assert "takes the 'supervisor' role" in events[0].attributes["reason"]


async def test_every_panel_command_from_grpc_the_cli_and_a_rule_is_audited_and_read_back_by_campus_hub_audit(tmp_path):
    """Who, what, which panel, the result and the path of every panel command, accepted or
    refused, read back through AlarmService.ListAudit and `campus-hub audit`."""
    import json
    import os

    import grpc
    import pytest

    from hub.access import Scope, Subscriber, hash_token
    from hub.api.grpc.client import HubClient
    from tests.kernel.conftest import ALL_TOKEN, POLICE_TOKEN, SUBSCRIBERS

    subscribers = [*SUBSCRIBERS, Subscriber("sup-other", hash_token(OTHER_SUPERVISOR),
                                            Scope(region_prefixes=("110101",)), "supervisor")]
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp-1", resolve_profile("generic"), 1)])])
    panel = DeviceSpec(id="fp-1", kind="fire_panel", adapter="fire", site=Site(region_code="140802", school_id="sch-1"),
                       options=ModbusDeviceOptions(host="127.0.0.1", port=sim.port_of("fp-1"), poll_interval=0.05))
    rules = {"rules": [RULES["rules"][0]]}  # fire-silence
    try:
        async with linkage_hub(tmp_path, [panel], rules, subscribers=subscribers,
                               adapters=[AdapterInstance("fire", ModbusAdapter, ModbusOptions(**FAST))]) as hub:
            await until(lambda: hub.registry.get("fp-1").state == DeviceState.DEVICE_STATE_ONLINE, "fp-1 online")
            sim.panel("fp-1").raise_condition("fire.alarm", zone=2)
            await until(lambda: sim.panel("fp-1").commands == ["silence"], "the rule's silence")
            target = f"127.0.0.1:{hub.grpc_port}"
            async with HubClient(target, POLICE_TOKEN) as operator:
                with pytest.raises(grpc.aio.AioRpcError):
                    await operator.run_panel_command("fp-1", "reset")
            async with HubClient(target, OTHER_SUPERVISOR) as elsewhere:
                with pytest.raises(grpc.aio.AioRpcError):
                    await elsewhere.run_panel_command("fp-1", "reset")
            async with HubClient(target, ALL_TOKEN) as supervisor:
                reset_sequence = await supervisor.run_panel_command("fp-1", "reset", comment="checked, false alarm")
                with pytest.raises(grpc.aio.AioRpcError):
                    await supervisor.run_panel_command("fp-9", "reset")
            sim.set_exception("fp-1", 4)  # the panel refuses the next write
            cli = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub.cli", "panel", "acknowledge", "fp-1", "--target", target,
                "--token", ALL_TOKEN, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "USER": "duty-officer-li", "LOGNAME": "duty-officer-li"})
            await cli.communicate()
            assert cli.returncode != 0
            sim.set_exception("fp-1", None)
            async with HubClient(target, ALL_TOKEN) as supervisor:
                page = await supervisor.alarm_call("ListAudit", page_size=100)
            async with HubClient(target, OTHER_SUPERVISOR) as elsewhere:
                their_own = await elsewhere.alarm_call("ListAudit", page_size=100)
            listed = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub.cli", "audit", "--target", target, "--token", ALL_TOKEN,
                "--principal", "ops", "--json", stdout=asyncio.subprocess.PIPE)
            printed, _ = await listed.communicate()
            assert listed.returncode == 0
            tabled = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub.cli", "audit", "--target", target, "--token", ALL_TOKEN,
                "--principal", "rule:fire-silence", stdout=asyncio.subprocess.PIPE)
            table, _ = await tabled.communicate()
    finally:
        await sim.stop()
    records = list(reversed(page.records))  # oldest first
    details = [dict(part.split("=", 1) for part in r.details.split(" ") if "=" in part) for r in records]
    assert [(r.principal, r.role, r.action, r.outcome, r.code, d.get("device"), d["via"])
            for r, d in zip(records, details)] == [
        ("rule:fire-silence", "rule", "panel.silence", "accepted", "", "fp-1", "rule"),
        ("police-yanhu", "operator", "panel.reset", "refused", "role", "fp-1", "grpc"),
        ("sup-other", "supervisor", "panel.reset", "refused", "not_found", "fp-1", "grpc"),
        ("ops", "supervisor", "panel.reset", "accepted", "", "fp-1", "grpc"),
        ("ops", "supervisor", "panel.reset", "refused", "not_found", "fp-9", "grpc"),
        ("ops", "supervisor", "panel.acknowledge", "refused", "failed", "fp-1", "cli")]
    rule_record, police, other, reset, missing, refused_by_panel = zip(records, details)
    assert rule_record[1]["rule_version"] == "1" and rule_record[1]["run"].startswith("fire-silence@1#")
    assert "takes the 'supervisor' role" in police[0].reason and police[0].peer.startswith("ipv4:127.0.0.1:")
    assert reset[1]["result_sequence"] == str(reset_sequence) and reset[1]["comment_chars"] == "20"
    assert reset[0].at.seconds > 0
    assert "no device 'fp-9' in your scope" in missing[0].reason
    assert refused_by_panel[1]["cli_user"] == "duty-officer-li"
    assert "exception 4" in refused_by_panel[0].reason
    # A supervisor elsewhere sees only its own record (the panel is not in its region).
    assert [(r.principal, r.code) for r in their_own.records] == [("sup-other", "not_found")]
    # campus-hub audit reads the same records back (newest first).
    shown = [json.loads(line) for line in printed.decode().splitlines()]
    assert [(s["action"], s["outcome"], s.get("code", "")) for s in shown] == [
        ("panel.acknowledge", "refused", "failed"), ("panel.reset", "refused", "not_found"),
        ("panel.reset", "accepted", "")]
    header, row = table.decode().splitlines()
    assert row.split()[1:6] == ["rule:fire-silence", "rule", "panel.silence", "fp-1", "accepted"]


def test_the_device_and_cli_user_a_client_asks_or_claims_are_each_one_printable_word_of_the_audit_details():
    from hypothesis import given
    from hypothesis import strategies as st

    from hub.linkage._audit import panel_audit_record, safe_claim

    @given(st.text(max_size=300), st.text(max_size=100))
    def check(claimed: str, asked_device: str) -> None:
        kept = safe_claim(claimed)
        assert len(kept) <= 64 and kept.isprintable() and not any(c.isspace() for c in kept)
        record = panel_audit_record(principal="ops", role="supervisor", peer="ipv4:127.0.0.1:1", device=asked_device,
                                    command="reset", via="cli", phase="not_found", extra={"cli_user": claimed})
        fields = dict(part.split("=", 1) for part in record.details.split(" "))
        assert fields["via"] == "cli" and fields["command"] == "reset"
        assert fields.get("cli_user", "") == kept and fields.get("device", "") == safe_claim(asked_device)
        assert record.outcome == "refused" and record.code == "not_found" and record.device == ""
    check()
