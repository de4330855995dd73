"""The adapter against the camera simulator over loopback."""
from __future__ import annotations

from conftest import camera_spec, eventually, watching
from hub.events import State


async def test_motion_raised_and_cleared_with_media(sim):
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, _):
        await eventually(lambda: sim["cam-1"].camera.subscriptions, what="subscription")
        sim["cam-1"].camera.trigger("motion", True)
        raised = await ctx.wait_for_event("video.motion", state=State.STATE_RAISED)
        sim["cam-1"].camera.trigger("motion", False)
        await ctx.wait_for_event("video.motion", state=State.STATE_CLEARED)
    assert {m.kind for m in raised.media} == {"rtsp", "snapshot"}
    assert raised.attributes["topic"] == "tns1:VideoSource/MotionAlarm"
    assert ctx.records["cam-1"].facts["model"] == "SimCam-1"
