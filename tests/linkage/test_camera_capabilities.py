"""The ONVIF adapter's linkage capabilities against the camera simulator over loopback: a
snapshot (digest auth), relay outputs, PTZ presets, and each bad answer a clear CapabilityError."""
from __future__ import annotations

import pytest

from hub.spi import CapabilityError, PtzControl, RelayOutput, SnapshotSource
from simulators.camera.camera import CameraConfig
from simulators.camera.simulator import CameraSimulator
from tests.onvif.helpers import camera_spec, watching


async def _connected(ctx, device: str) -> None:
    await ctx.wait_for(lambda: ctx.state(device) == "online", what=f"{device} connected")


@pytest.fixture
async def cameras():
    sim = await CameraSimulator.start([CameraConfig(name="cam-1"), CameraConfig(name="cam-2", snapshot_auth="basic")])
    yield sim
    await sim.stop()


async def test_snapshot_relay_and_preset_reach_the_simulated_camera(cameras):
    specs = [camera_spec(cameras["cam-1"], events=False), camera_spec(cameras["cam-2"], events=False)]
    async with watching(specs) as (ctx, adapter):
        assert isinstance(adapter, SnapshotSource) and isinstance(adapter, RelayOutput) and isinstance(adapter, PtzControl)
        await _connected(ctx, "cam-1")
        await _connected(ctx, "cam-2")
        first = await adapter.snapshot("cam-1")
        second = await adapter.snapshot("cam-2")  # basic auth
        await adapter.set_relay("cam-1", "relay1", True)
        await adapter.goto_preset("cam-1", "2")
    assert first.content_type == "image/jpeg" and first.data[:3] == b"\xff\xd8\xff" and b"cam-1" in first.data[:512]
    assert b"cam-2" in second.data[:512]
    camera = cameras["cam-1"].camera
    assert camera.relays.states == {"relay1": True, "relay2": False}
    assert [(c.relay, c.active) for c in camera.relays.changes] == [("relay1", True)]
    assert [m.preset for m in camera.ptz.moves] == ["2"]


@pytest.mark.parametrize("mode, says", [("html", "text/html, not image/jpeg"), ("huge", "exceeds"),
                                        ("hang", "timeout")])
async def test_a_snapshot_that_is_no_jpeg_is_a_clear_error(cameras, mode, says):
    cameras["cam-1"].camera.snapshot_mode = mode
    async with watching([camera_spec(cameras["cam-1"], events=False)]) as (ctx, adapter):
        await _connected(ctx, "cam-1")
        with pytest.raises(CapabilityError, match=says):
            await adapter.snapshot("cam-1")


async def test_a_missing_relay_and_a_missing_preset_are_clear_errors(cameras):
    async with watching([camera_spec(cameras["cam-1"], events=False)]) as (ctx, adapter):
        await _connected(ctx, "cam-1")
        with pytest.raises(CapabilityError, match="no relay output 'siren9'"):
            await adapter.set_relay("cam-1", "siren9", True)
        with pytest.raises(CapabilityError, match="no preset '77'"):
            await adapter.goto_preset("cam-1", "77")
        with pytest.raises(CapabilityError, match="no ONVIF camera 'cam-9'"):
            await adapter.snapshot("cam-9")
