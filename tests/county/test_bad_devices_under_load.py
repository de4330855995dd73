"""Issue 20, bad input under load: a camera that hangs, one that answers slowly, one that answers
half-way and a fire panel that answers late affect only themselves. Their neighbours on the same
adapters (one shared HTTP pool for the cameras, one adapter for the panels) deliver every event
while they misbehave; the bad devices end up offline or faulty with their own reasons.

Counts and states only, never timing (bench/bench_campus.py measures the delays)."""
from __future__ import annotations

import asyncio

from adapters.modbus.adapter import ModbusAdapter, ModbusDeviceOptions, ModbusOptions
from adapters.modbus.profile import resolve_profile
from adapters.onvif.adapter import OnvifAdapter
from adapters.onvif.options import OnvifOptions
from hub.events import Site, State
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext, eventually
from simulators.camera.camera import CameraConfig
from simulators.camera.simulator import CameraSimulator
from simulators.fire_panel.scenario import apply_step, parse_command
from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec
from tests.onvif.helpers import FAST as ONVIF_FAST
from tests.onvif.helpers import camera_spec

SITE = Site(region_code="140802", school_id="sch-1")
GOOD_CAMERAS = [f"cam-{n}" for n in range(1, 6)]
HUNG, SLOW, HALF = "cam-hung", "cam-slow", "cam-half"
GOOD_PANELS = [f"fp-{n}" for n in range(1, 5)]
LATE_PANEL = "fp-late"
ROUNDS = 4  # motion raised and cleared this many times on every good camera


def panel_spec(device_id: str, port: int) -> DeviceSpec:
    return DeviceSpec(id=device_id, kind="fire_panel", adapter="fire", site=SITE,
                      options=ModbusDeviceOptions(host="127.0.0.1", port=port, poll_interval=0.05))


async def test_hung_slow_and_half_cameras_and_a_late_panel_affect_only_themselves():
    cameras = await CameraSimulator.start(
        [CameraConfig(name=name) for name in GOOD_CAMERAS + [HUNG, SLOW, HALF]], discovery_port=0)
    generic = resolve_profile("generic")
    panels = await FirePanelSimulator.start(
        [EndpointSpec([PanelSpec(name, generic, 1)]) for name in GOOD_PANELS + [LATE_PANEL]])
    onvif_ctx = RecordingContext("onvif-test", [camera_spec(cameras[n]) for n in GOOD_CAMERAS + [HUNG, SLOW, HALF]])
    fire_ctx = RecordingContext("fire", [panel_spec(n, panels.port_of(n)) for n in GOOD_PANELS + [LATE_PANEL]])
    tasks = [asyncio.ensure_future(OnvifAdapter(onvif_ctx, OnvifOptions(**ONVIF_FAST)).run()),
             asyncio.ensure_future(ModbusAdapter(fire_ctx, ModbusOptions(
                 timeout=0.3, reconnect_min=0.05, reconnect_max=0.2, drop_after_timeouts=2)).run())]
    try:
        every_camera = GOOD_CAMERAS + [HUNG, SLOW, HALF]
        await eventually(lambda: all(cameras[n].camera.requests["PullMessages"] >= 1 for n in every_camera),
                         timeout=20.0, what="every camera pulled")
        await fire_ctx.wait_for(lambda: all(fire_ctx.state(n) == "online" for n in GOOD_PANELS + [LATE_PANEL]),
                                what="every panel online")
        cameras[HUNG].camera.set_silent(True)
        cameras[SLOW].camera.set_misbehaviour("slow", delay=5.0)  # past every deadline of the adapter
        cameras[HALF].camera.set_misbehaviour("half")
        panels.delay_answers(LATE_PANEL, *[0.6] * 1000)  # each answer comes after the 0.3 s timeout

        for round_ in range(ROUNDS):
            for active in (True, False):
                for name in GOOD_CAMERAS + [HUNG, SLOW, HALF]:
                    cameras[name].camera.trigger("motion", active)
                await onvif_ctx.wait_for(lambda: all(
                    len(_motion(onvif_ctx, name)) == 2 * round_ + 1 + (not active) for name in GOOD_CAMERAS),
                    timeout=20.0, what=f"round {round_} motion {active} from every good camera")
            for name in GOOD_PANELS:
                await apply_step(panels, parse_command(f"fire {name} zone={round_ + 1}"))
            await apply_step(panels, parse_command(f"fire {LATE_PANEL} zone={round_ + 1}"))
            await fire_ctx.wait_for(lambda: all(
                len(_fires(fire_ctx, name)) == round_ + 1 for name in GOOD_PANELS),
                timeout=20.0, what=f"round {round_} fire alarms from every good panel")

        await onvif_ctx.wait_for(lambda: onvif_ctx.state(HUNG) == onvif_ctx.state(SLOW) == "offline",
                                 timeout=30.0, what="the hung and the slow camera offline")
        await onvif_ctx.wait_for(lambda: onvif_ctx.state(HALF) == "faulty", timeout=20.0, what="half camera faulty")
        assert "half-way" in onvif_ctx.records[HALF].reason
        assert "no answer" in onvif_ctx.records[SLOW].reason and "no answer" in onvif_ctx.records[HUNG].reason
        # The late panel went offline for its silence (a late answer may be counted or may reach a
        # connection already dropped: either way it is never taken for the next request's answer).
        await fire_ctx.wait_for(lambda: fire_ctx.state(LATE_PANEL) == "offline", timeout=20.0,
                                what="the late panel offline for not answering in time")
        assert "answered none of the last" in fire_ctx.records[LATE_PANEL].reason
        assert any("no answer within" in reason for _, reason in fire_ctx.records[LATE_PANEL].transitions)
        assert not any("asked for" in reason for _, reason in fire_ctx.records[LATE_PANEL].transitions)
        # Exactly what was raised and cleared, nothing doubled, from every good device; the others
        # still count as online.
        for name in GOOD_CAMERAS:
            assert [e.state for e in _motion(onvif_ctx, name)] == [State.STATE_RAISED, State.STATE_CLEARED] * ROUNDS
            assert onvif_ctx.state(name) == "online"
        for name in GOOD_PANELS:
            assert sorted(e.attributes["zone"] for e in _fires(fire_ctx, name)) == [str(z + 1) for z in range(ROUNDS)]
            assert fire_ctx.state(name) == "online"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        onvif_ctx.close()
        fire_ctx.close()
        await cameras.stop()
        await panels.stop()


def _motion(ctx, name):
    return [e for e in ctx.of_type("video.motion") if e.source_device_id == name]


def _fires(ctx, name):
    return [e for e in ctx.of_type("fire.alarm") if e.source_device_id == name and e.state == State.STATE_RAISED]
