"""The adapter against the simulator over loopback, for every profile and every misbehaviour."""
from __future__ import annotations

import asyncio
import re
import socket
import time
from pathlib import Path

import pydantic
import pytest

from adapters.modbus.adapter import ModbusAdapter, ModbusDeviceOptions, ModbusOptions
from adapters.modbus.profile import resolve_profile
from hub.events import Site, State
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext, eventually
from simulators.fire_panel.scenario import apply_step, parse_command
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec

PROFILES = sorted(p.stem for p in (Path(__file__).parents[2] / "config" / "profiles").glob("*.yaml"))
SITE = Site(region_code="140802", school_id="sch-1")
FAST = dict(timeout=0.3, reconnect_min=0.05, reconnect_max=0.2, drop_after_timeouts=2)


def device(device_id: str, port: int, **options) -> DeviceSpec:
    options.setdefault("poll_interval", 0.05)
    return DeviceSpec(id=device_id, kind="fire_panel", adapter="fire", site=SITE,
                      options=ModbusDeviceOptions(host="127.0.0.1", port=port, **options))


class Running:
    """An adapter instance running as a task on the test loop."""

    def __init__(self, devices, **options) -> None:
        self.ctx = RecordingContext("fire", devices)
        self.adapter = ModbusAdapter(self.ctx, ModbusOptions(**(FAST | options)))
        self.task = asyncio.ensure_future(self.adapter.run())

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.ctx.close()

    async def online(self, *ids):
        await self.ctx.wait_for(lambda: all(self.ctx.state(i) == "online" for i in ids), what=f"{ids} online")

    def events(self, type_, device_id, state=None):
        return [e for e in self.ctx.of_type(type_) if e.source_device_id == device_id
                and (state is None or e.state == state)]


# What each shipped profile can do, in simulator commands, and the event the adapter must emit.
CASES = {
    "generic": [("fire {p} zone=3", "fire.alarm", {"zone": "3"}), ("fault {p} point=5 loop=2", "fire.fault",
                {"loop": "2", "point": "5"}), ("ac_loss {p}", "power.ac_loss", {})],
    "notifier-gw": [("fire {p} zone=3", "fire.alarm", {"zone": "3"}),
                    ("fault {p} point=17 loop=1", "fire.fault", {"loop": "1", "point": "17"}),
                    ("ac_loss {p}", "power.ac_loss", {})],
    "siemens-fc20": [("fire {p} zone=3", "fire.alarm", {"zone": "3"}), ("ac_loss {p}", "power.ac_loss", {}),
                     ("raise {p} event=power.battery_fault", "power.battery_fault", {})],
}


@pytest.mark.parametrize("framer", ["tcp", "rtu-over-tcp"])
@pytest.mark.parametrize("profile_name", PROFILES)
async def test_every_profile_raises_once_and_clears_on_reset(profile_name, framer):
    profile = resolve_profile(profile_name)
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", profile, 7)], framer=framer)])
    run = Running([device("fp", sim.port_of("fp"), unit_id=7, profile=profile_name, framer=framer)])
    try:
        await run.online("fp")
        assert run.ctx.events == []  # a quiet panel says nothing
        for command, event_type, labels in CASES[profile_name]:
            changed_at = time.time()
            await apply_step(sim, parse_command(command.format(p="fp")))
            event = await run.ctx.wait_for_event(event_type, state=State.STATE_RAISED)
            # Stamped with the read that saw the change, not an earlier one.
            assert event.occurred_at.ToMicroseconds() >= int(changed_at * 1e6)
            assert labels.items() <= dict(event.attributes).items()
            assert event.attributes["profile"] == profile_name and event.raw.protocol == "modbus"
        await asyncio.sleep(0.2)  # several polls of an unchanged panel...
        for _, event_type, _ in CASES[profile_name]:  # ...and still one raise per condition
            assert len(run.events(event_type, "fp", State.STATE_RAISED)) == 1
        await apply_step(sim, parse_command("reset fp"))
        await run.ctx.wait_for(lambda: run.events("fire.alarm", "fp", State.STATE_CLEARED), what="fire cleared")
        # Mains failure is physics: a panel reset does not clear it.
        assert not run.events("power.ac_loss", "fp", State.STATE_CLEARED)
        assert run.ctx.records["fp"].facts["profile"] == profile_name
    finally:
        await run.stop()
        await sim.stop()


async def test_panels_behind_one_converter_and_a_wrong_unit_id():
    generic, notifier = resolve_profile("generic"), resolve_profile("notifier-gw")
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("a", generic, 1), PanelSpec("b", notifier, 2)])])
    port = sim.port_of("a")
    run = Running([device("a", port, unit_id=1), device("b", port, unit_id=2, profile="notifier-gw"),
                   device("ghost", port, unit_id=9)])
    try:
        await run.online("a", "b")
        await run.ctx.wait_for(lambda: run.ctx.state("ghost") == "faulty", what="ghost faulty")
        assert "wrong unit id" in run.ctx.records["ghost"].reason
        await apply_step(sim, parse_command("fire b zone=64"))
        event = await run.ctx.wait_for_event("fire.alarm")
        assert event.source_device_id == "b" and event.attributes["zone"] == "64"
        assert run.ctx.state("a") == "online" and run.ctx.metrics.total("requests", result="exception") > 0
    finally:
        await run.stop()
        await sim.stop()


async def test_illegal_address_exceptions_and_spoilt_answers_make_the_panel_faulty():
    # The panel really is a Siemens map; the integrator configured the Notifier profile.
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("p", resolve_profile("siemens-fc20"), 1),
                                                        PanelSpec("q", resolve_profile("generic"), 2)])])
    run = Running([device("p", sim.port_of("p"), profile="notifier-gw"), device("q", sim.port_of("q"), unit_id=2)])
    try:
        await run.ctx.wait_for(lambda: run.ctx.state("p") == "faulty", what="p faulty")
        assert "illegal data address" in run.ctx.records["p"].reason
        await run.online("q")
        sim.set_exception("q", 4)
        await run.ctx.wait_for(lambda: run.ctx.state("q") == "faulty", what="q faulty")
        assert "server device failure" in run.ctx.records["q"].reason
        sim.set_exception("q", None)
        await run.online("q")
        await apply_step(sim, parse_command("answer_fault q fault=short"))
        await run.ctx.wait_for(lambda: run.ctx.state("q") == "faulty", what="q faulty again")
        assert re.search(r"asked for (\d+) values, got (\d+)", run.ctx.records["q"].reason)
        assert run.ctx.metrics.total("requests", result="short_response") > 0
        # pymodbus drops answers from another unit: to us they are unanswered requests. The
        # connection stays up (p answers), so only q is affected.
        await apply_step(sim, parse_command("answer_fault q fault=wrong_unit"))
        await run.ctx.wait_for(lambda: "no answer" in run.ctx.records["q"].reason, what="q unanswered")
        await run.ctx.wait_for(lambda: run.ctx.metrics.total("requests", result="timeout") >= 4, what="timeouts")
        assert run.ctx.metrics.total("disconnects") == 0 and run.ctx.state("q") == "faulty"
        await apply_step(sim, parse_command("answer_fault q"))
        await run.online("q")
    finally:
        await run.stop()
        await sim.stop()


async def test_reconnects_after_the_simulator_is_killed_and_restarted_and_rereads_state():
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", resolve_profile("notifier-gw"), 1)])])
    run = Running([device("fp", sim.port_of("fp"), profile="notifier-gw")])
    try:
        await apply_step(sim, parse_command("fire fp zone=3"))
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_RAISED)
        await sim.stop()
        await run.ctx.wait_for(lambda: run.ctx.state("fp") == "offline", what="offline")
        # While it was away the fire was reset and a fault appeared: the re-read must tell.
        await apply_step(sim, parse_command("reset fp"))
        await apply_step(sim, parse_command("fault fp zone=5"))
        await sim.restart()
        await run.online("fp")
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_CLEARED)
        fault = await run.ctx.wait_for_event("fire.fault", state=State.STATE_RAISED)
        assert fault.attributes["zone"] == "5"
        states = [s for s, _ in run.ctx.records["fp"].transitions]
        assert states[:3] == ["online", "offline", "online"]
        assert run.ctx.metrics.total("connects") >= 2
    finally:
        await run.stop()
        await sim.stop()


async def test_converter_drop_reports_offline_then_recovers():
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", resolve_profile("generic"), 1)])])
    run = Running([device("fp", sim.port_of("fp"))])
    try:
        await run.online("fp")
        await apply_step(sim, parse_command("converter_drop seconds=0.6"))
        await run.ctx.wait_for(lambda: run.ctx.state("fp") == "offline", what="offline")
        await run.online("fp")
    finally:
        await run.stop()
        await sim.stop()


async def test_panel_that_accepts_tcp_and_never_answers():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("ok", resolve_profile("generic"), 1)])])
    run = Running([device("mute", silent.getsockname()[1]), device("ok", sim.port_of("ok"))])
    try:
        await run.ctx.wait_for(lambda: run.ctx.state("mute") == "offline", what="mute offline")
        assert "answered none" in run.ctx.records["mute"].reason
        assert run.ctx.metrics.total("requests", result="timeout") >= 2
        await run.online("ok")
        await apply_step(sim, parse_command("fire ok zone=1"))
        await run.ctx.wait_for_event("fire.alarm")
        assert "faulty" in [s for s, _ in run.ctx.records["mute"].transitions]
    finally:
        await run.stop()
        await sim.stop()
        silent.close()


async def test_nothing_listening_is_offline_and_other_links_unaffected():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("ok", resolve_profile("generic"), 1)])])
    run = Running([device("gone", port), device("ok", sim.port_of("ok"))])
    try:
        await run.ctx.wait_for(lambda: run.ctx.state("gone") == "offline", what="gone offline")
        assert f"cannot connect to 127.0.0.1:{port}" == run.ctx.records["gone"].reason
        await run.online("ok")
    finally:
        await run.stop()
        await sim.stop()


def test_config_mistakes_are_clear(tmp_path):
    with pytest.raises(pydantic.ValidationError, match="no profile named 'nope'"):
        ModbusDeviceOptions(host="h", profile="nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: bad\nblocks: []\nsignals: []\n")
    with pytest.raises(pydantic.ValidationError, match=r"bad.yaml:2:1: blocks: is empty; expected at least 1 item"):
        ModbusDeviceOptions(host="h", profile=str(bad))
    with pytest.raises(pydantic.ValidationError, match="unit_id"):
        ModbusDeviceOptions(host="h", unit_id=300)
    with pytest.raises(pydantic.ValidationError, match="reconnect_max"):
        ModbusOptions(reconnect_min=10, reconnect_max=1)


async def test_a_profile_broken_after_config_load_makes_only_that_device_faulty(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text((Path(__file__).parents[2] / "config" / "profiles" / "generic.yaml").read_text())
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("ok", resolve_profile("generic"), 1)])])
    broken = device("broken", sim.port_of("ok"), profile=str(path))
    path.write_text("profile: [")
    run = Running([broken, device("ok", sim.port_of("ok"))])
    try:
        await run.online("ok")
        assert run.ctx.state("broken") == "faulty" and "p.yaml:1:11: YAML syntax error" in run.ctx.records["broken"].reason
    finally:
        await run.stop()
        await sim.stop()


@pytest.mark.parametrize("framer", ["tcp", "rtu-over-tcp"])
async def test_a_late_answer_is_never_taken_for_the_next_request(framer):
    # generic polls 2, 32 and 64 registers in turn: answers to different requests look different.
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("fp", resolve_profile("generic"), 1)],
                                                       framer=framer)])
    run = Running([device("fp", sim.port_of("fp"), framer=framer)], timeout=1.0)
    try:
        await run.online("fp")
        served = sim.panels["fp"].requests
        # Request A is answered 1.5 s late (after the 1 s timeout), while request B, asked when A
        # timed out, is still waiting for its own answer (0.8 s): A's answer arrives during B. The
        # simulator (pymodbus' server) even stamps it with B's transaction id, as queueing
        # gateways do.
        sim.delay_answers("fp", 1.5, 0.8)
        await eventually(lambda: sim.panels["fp"].requests >= served + 3, timeout=10.0,
                         what="the late answers and one more")
        await run.online("fp")
        assert run.ctx.metrics.total("requests", result="short_response") == 0, run.ctx.records["fp"].reason
        assert not any("asked for" in reason for _, reason in run.ctx.records["fp"].transitions)
        if framer == "tcp":
            assert run.ctx.metrics.total("late_responses") == 1
        await apply_step(sim, parse_command("fire fp zone=3"))
        await run.ctx.wait_for_event("fire.alarm", state=State.STATE_RAISED)
    finally:
        await run.stop()
        await sim.stop()


async def test_a_panel_polled_late_because_its_link_is_busy_says_so():
    generic = resolve_profile("generic")
    sim = await FirePanelSimulator.start([EndpointSpec([PanelSpec("slow", generic, 1), PanelSpec("b", generic, 2)])])
    port = sim.port_of("b")
    run = Running([device("slow", port, unit_id=1), device("b", port, unit_id=2)], timeout=1.0)
    try:
        await run.online("slow", "b")
        assert run.ctx.records["b"].facts.get("polling", "on time") == "on time"
        sim.delay_answers("slow", *[0.2] * 12)  # answered in time, but each holds the shared link
        await eventually(lambda: run.ctx.records["b"].facts.get("polling", "").startswith("behind"),
                         what="b behind its neighbour")
        assert f"link 127.0.0.1:{port} is busy (2 panel(s)" in run.ctx.records["b"].facts["polling"]
        assert "timeout 1 s each" in run.ctx.records["b"].facts["late"]  # campus-hub devices' LATE column
        assert run.ctx.metrics.gauges[("devices_late", (("bound", "timeout"),))] >= 1
        assert run.ctx.state("b") == "online" and run.ctx.metrics.total("requests", result="timeout") == 0
        await eventually(lambda: run.ctx.records["b"].facts["polling"] == "on time", timeout=10.0,
                         what="b on time again")
        assert run.ctx.records["b"].facts["late"] == ""
    finally:
        await run.stop()
        await sim.stop()


async def test_a_late_answer_with_its_own_transaction_id_is_dropped_and_counted():
    """An independent Modbus TCP peer (MBAP by hand, not pymodbus' server) that answers properly
    stamped, but the first read only after the adapter gave it up, during the next read."""
    import struct

    answered = asyncio.Event()

    async def peer(reader, writer):
        held = None
        while True:
            try:
                header = await reader.readexactly(7)
            except asyncio.IncompleteReadError:
                return
            tid, _, length, unit = struct.unpack(">HHHB", header)
            function, start, count = struct.unpack(">BHH", await reader.readexactly(length - 1))
            body = bytes([function, 2 * count]) + b"\0" * (2 * count)
            answer = struct.pack(">HHHB", tid, 0, len(body) + 1, unit) + body
            if held is None and not answered.is_set():
                held = answer  # the first read: answered with the second one's, too late
                continue
            await asyncio.sleep(0.3)
            if held is not None:
                writer.write(held)  # arrives while this read is outstanding
                held = None
                answered.set()
            await asyncio.sleep(0.2)
            writer.write(answer)

    server = await asyncio.start_server(peer, "127.0.0.1", 0)
    run = Running([device("fp", server.sockets[0].getsockname()[1])], timeout=1.0)
    try:
        await eventually(lambda: run.ctx.metrics.total("late_responses") == 1, what="the late answer dropped")
        await run.online("fp")
        assert run.ctx.metrics.total("requests", result="short_response") == 0
    finally:
        await run.stop()
        server.close()
