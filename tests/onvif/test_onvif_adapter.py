"""The adapter against the camera simulator over loopback: events, renewal, reboots, clock skew,
wrong passwords, silence and hostile answers."""
from __future__ import annotations

import asyncio
import time

import pydantic
import pytest
from twisted.internet import defer

from adapters.onvif.options import CameraOptions, OnvifOptions
from hub.events import Category, State, timestamp_seconds
from hub.spi.testing import eventually

from .helpers import camera_spec, watching

EVENT_KINDS = [
    ("motion", "video.motion", Category.CATEGORY_VIDEO),
    ("cell_motion", "video.motion", Category.CATEGORY_VIDEO),
    ("tamper", "video.tamper", Category.CATEGORY_VIDEO),
    ("scene_change", "video.tamper", Category.CATEGORY_VIDEO),
    ("video_loss", "video.signal_loss", Category.CATEGORY_VIDEO),
    ("digital_input", "video.alarm_input", Category.CATEGORY_INTRUSION),
    ("relay", "video.relay", Category.CATEGORY_DEVICE),
]


async def _subscribed(sim, name="cam-1", count=1):
    await eventually(lambda: sim[name].camera.requests["PullMessages"] >= count, what=f"{name} pulling")


@pytest.mark.parametrize("kind,event_type,category", EVENT_KINDS)
async def test_every_event_kind_is_raised_and_cleared_with_media(sim, kind, event_type, category):
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, _):
        await _subscribed(sim)
        sim["cam-1"].camera.trigger(kind, True)
        raised = await ctx.wait_for_event(event_type, state=State.STATE_RAISED)
        sim["cam-1"].camera.trigger(kind, False)
        cleared = await ctx.wait_for_event(event_type, state=State.STATE_CLEARED)
    assert raised.category == category and raised.source_device_id == "cam-1"
    assert {(m.kind, m.uri) for m in raised.media} == {
        ("rtsp", "rtsp://127.0.0.1:554/cam-1/main"), ("snapshot", f"{sim['cam-1'].base_url}/onvif/snapshot.jpg")}
    assert not cleared.media
    assert raised.raw.protocol == "onvif" and b"NotificationMessage" in raised.raw.data
    facts = ctx.records["cam-1"].facts
    assert facts["model"] == "SimCam-1" and facts["stream_uri"].startswith("rtsp://")


async def test_unknown_topics_become_generic_video_events(sim):
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, _):
        await _subscribed(sim)
        sim["cam-1"].camera.publish("tns1:Vendor/FaceDetected", (("Rule", "gate"),), (("Name", "x"),), stateful=False)
        event = await ctx.wait_for_event("video.event")
    assert event.state == State.STATE_MOMENTARY
    assert event.attributes["topic"] == "tns1:Vendor/FaceDetected" and event.attributes["source.Rule"] == "gate"


async def test_initialized_state_does_not_raise_but_its_end_clears_nothing_spurious(sim):
    cam = sim["cam-1"].camera
    cam.trigger("tamper", True)  # active before we subscribe: arrives as Initialized
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, _):
        await _subscribed(sim, count=2)
        cam.trigger("motion", True)
        await ctx.wait_for_event("video.motion", state=State.STATE_RAISED)
        cam.reboot()  # re-subscription re-sends Initialized states
        await eventually(lambda: cam.requests["CreatePullPointSubscription"] >= 2, what="re-subscription")
        cam.trigger("video_loss", True)
        await ctx.wait_for_event("video.signal_loss", state=State.STATE_RAISED)
    assert not ctx.of_type("video.tamper")
    assert len(ctx.of_type("video.motion")) == 1


async def test_the_initial_state_of_every_property_is_recorded_without_an_alarm(sim):
    cam = sim["cam-1"].camera
    # A door contact already open and a relay already on at first look: state, not new alarms.
    cam.trigger("digital_input", True)
    cam.trigger("relay", True)
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, adapter):
        await eventually(lambda: ctx.metrics.total("notifications", operation="Initialized") >= len(EVENT_KINDS),
                         what="the initial state of every property")
        cam.trigger("motion", True)
        await ctx.wait_for_event("video.motion", state=State.STATE_RAISED)
        cam.trigger("digital_input", False)  # its end was seen live, but it was never raised: no clear
        cam.trigger("digital_input", True)  # opened again, live: now it is an alarm
        await ctx.wait_for_event("video.alarm_input", state=State.STATE_RAISED)
    assert ctx.metrics.total("notifications", operation="Initialized") == len(EVENT_KINDS)
    assert [(e.type, e.state) for e in ctx.events] == [
        ("video.motion", State.STATE_RAISED), ("video.alarm_input", State.STATE_RAISED)]


async def test_pull_point_is_renewed_before_termination(sim):
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"])], subscription_lifetime=2.0, renew_before=1.0,
                        pull_timeout=0.2) as (ctx, _):
        await eventually(lambda: cam.requests["Renew"] >= 3, what="renewals")
        cam.trigger("motion", True)
        await ctx.wait_for_event("video.motion", state=State.STATE_RAISED)
    assert cam.requests["CreatePullPointSubscription"] == 1  # never expired, never re-created
    assert ctx.metrics.total("subscriptions_renewed") >= 3


async def test_reboot_loses_the_subscription_and_the_adapter_resubscribes(sim):
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, _):
        await _subscribed(sim)
        cam.reboot()
        await eventually(lambda: cam.requests["CreatePullPointSubscription"] >= 2 and cam.subscriptions,
                         what="re-subscription")
        cam.trigger("digital_input", True)
        await ctx.wait_for_event("video.alarm_input", state=State.STATE_RAISED)
    assert ctx.state("cam-1") == "online"


async def test_clock_skewed_camera_is_signed_with_its_own_time(sim):
    cam = sim["cam-2"].camera
    cam.set_clock_skew(-3 * 3600)
    async with watching([camera_spec(sim["cam-2"])]) as (ctx, _):
        await _subscribed(sim, "cam-2")
        cam.trigger("motion", True)
        event = await ctx.wait_for_event("video.motion", state=State.STATE_RAISED)
        cam.set_clock_skew(+7200)  # the clock jumps (expiring the pull point): the adapter follows
        await eventually(lambda: cam.requests["CreatePullPointSubscription"] >= 2 and cam.subscriptions,
                         what="resubscribed")
        cam.trigger("motion", False)
        await ctx.wait_for_event("video.motion", state=State.STATE_CLEARED)
    assert abs(float(ctx.records["cam-2"].facts["clock_offset_s"]) - 7200) < 5
    assert cam.requests["auth_failures"] == 0
    # occurred_at is in hub time (camera time corrected by the offset), not three hours off
    assert abs(timestamp_seconds(event.occurred_at) - time.time()) < 600


async def test_wrong_password_is_offline_with_the_reason_then_recovers(sim):
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"], password="wrong")]) as (ctx, _):
        await ctx.wait_for(lambda: ctx.state("cam-1") == "offline", what="offline")
        assert ctx.records["cam-1"].reason.startswith("auth failure")
        cam.config.password = "wrong"  # the integrator fixes the camera side
        await ctx.wait_for(lambda: ctx.state("cam-1") == "online", what="back online")
    assert cam.requests["auth_failures"] >= 2


async def test_silent_camera_goes_offline_with_timeout_and_comes_back_on_the_same_pull_point(sim):
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"]), camera_spec(sim["cam-2"])], subscription_lifetime=30.0,
                        renew_before=5.0, request_timeout=0.4, pull_grace=0.4) as (ctx, _):
        await _subscribed(sim)
        cam.set_silent(True)
        await ctx.wait_for(lambda: ctx.state("cam-1") == "offline", what="offline")
        assert ctx.records["cam-1"].reason.startswith("timeout")
        sim["cam-2"].camera.trigger("motion", True)  # the other camera is not affected
        await ctx.wait_for_event("video.motion", source_device_id="cam-2")
        cam.set_silent(False)
        await ctx.wait_for(lambda: ctx.state("cam-1") == "online", what="back online")
    # A timeout is not a dead subscription (only a SOAP fault is): the pull point was kept.
    assert cam.requests["CreatePullPointSubscription"] == 1


async def test_unreachable_camera_is_offline(sim):
    running = sim["cam-1"]
    spec = camera_spec(running)
    await defer.maybeDeferred(running.port.stopListening).asFuture(asyncio.get_running_loop())
    async with watching([spec]) as (ctx, _):
        await ctx.wait_for(lambda: ctx.state("cam-1") == "offline", what="offline")
    assert ctx.records["cam-1"].reason.startswith("unreachable")


@pytest.mark.parametrize("mode", ["garbage", "entity_bomb", "huge", "half", "bad_fault", "html_error"])
async def test_hostile_answers_make_the_camera_faulty_not_the_others(sim, mode):
    sim["cam-1"].camera.set_misbehaviour(mode)
    async with watching([camera_spec(sim["cam-1"]), camera_spec(sim["cam-2"])], max_response_bytes=64 * 1024) as (ctx, _):
        await ctx.wait_for(lambda: ctx.state("cam-1") == "faulty", what="faulty")
        assert ctx.records["cam-1"].reason.startswith("bad response")
        await _subscribed(sim, "cam-2")
        sim["cam-2"].camera.trigger("tamper", True)
        await ctx.wait_for_event("video.tamper", source_device_id="cam-2")
        sim["cam-1"].camera.set_misbehaviour("none")
        await ctx.wait_for(lambda: ctx.state("cam-1") == "online", what="cam-1 recovered")
    assert ctx.metrics.total("failures", kind="bad_response") >= 1


async def test_hostile_pull_answers_are_bounded_too(sim):
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"])], max_response_bytes=64 * 1024) as (ctx, _):
        await _subscribed(sim)
        cam.set_misbehaviour("huge")
        await ctx.wait_for(lambda: ctx.state("cam-1") == "faulty", what="faulty")
    assert "exceeds" in ctx.records["cam-1"].reason


async def test_slow_camera_times_out(sim):
    sim["cam-1"].camera.set_misbehaviour("slow", delay=5.0)
    async with watching([camera_spec(sim["cam-1"])], request_timeout=0.2) as (ctx, _):
        await ctx.wait_for(lambda: ctx.state("cam-1") == "offline", what="offline")
    assert ctx.records["cam-1"].reason.startswith("timeout")


async def test_goto_preset_and_no_unsubscribe_on_shutdown(sim):
    cam = sim["cam-1"].camera
    cam.config.unsubscribe_scope = "all"  # a camera with the field bug: we must never trigger it
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, adapter):
        await _subscribed(sim)
        await adapter.goto_preset("cam-1", "2")
    assert [(move.profile, move.preset) for move in cam.ptz.moves] == [("profile_1", "2")]
    assert cam.requests["Unsubscribe"] == 0 and cam.subscriptions


def test_options_explain_mistakes(monkeypatch):
    with pytest.raises(pydantic.ValidationError, match="renew_before"):
        OnvifOptions(subscription_lifetime=60, renew_before=90)
    with pytest.raises(pydantic.ValidationError, match="pull_timeout"):
        OnvifOptions(subscription_lifetime=60, renew_before=10, pull_timeout=55)
    with pytest.raises(pydantic.ValidationError, match="not a URL"):
        CameraOptions(host="http://10.0.0.5/onvif", password="x")
    with pytest.raises(pydantic.ValidationError, match="exactly one of password"):
        CameraOptions(host="10.0.0.5")
    with pytest.raises(pydantic.ValidationError, match="CAM_PW"):
        CameraOptions(host="10.0.0.5", password_env="CAM_PW")
    monkeypatch.setenv("CAM_PW", "s3cret")
    options = CameraOptions(host="fe80::1", port=8000, password_env="CAM_PW")
    assert options.resolve_password() == "s3cret" and options.device_url == "http://[fe80::1]:8000/onvif/device_service"
    assert "s3cret" not in repr(CameraOptions(host="h", password="s3cret"))


async def test_camera_without_snapshot_still_reports_alarms_with_the_stream(sim):
    cam = sim["cam-2"].camera
    cam.config.snapshot = False
    async with watching([camera_spec(sim["cam-2"])]) as (ctx, _):
        await _subscribed(sim, "cam-2")
        cam.trigger("video_loss", True)
        event = await ctx.wait_for_event("video.signal_loss", state=State.STATE_RAISED)
    assert [m.kind for m in event.media] == ["rtsp"]
    assert "snapshot_uri" not in ctx.records["cam-2"].facts and cam.requests["GetSnapshotUri"] >= 1


async def test_services_only_camera_without_ptz_and_without_event_pulls():
    from adapters.onvif.errors import CameraError
    from simulators.camera.camera import CameraConfig
    from simulators.camera.simulator import CameraSimulator

    sim = await CameraSimulator.start([CameraConfig(name="cam-9", legacy_capabilities=False, ptz=False)])
    cam = sim["cam-9"].camera
    try:
        async with watching([camera_spec(sim["cam-9"], events=False)]) as (ctx, adapter):
            await ctx.wait_for(lambda: "stream_uri" in ctx.records["cam-9"].facts, what="facts via GetServices")
            await eventually(lambda: cam.requests["GetDeviceInformation"] >= 3, what="health checks")
            with pytest.raises(CameraError, match="no PTZ service"):
                await adapter.goto_preset("cam-9", "1")
            cam.set_silent(True)
            await ctx.wait_for(lambda: ctx.state("cam-9") == "offline", what="offline")
            cam.set_silent(False)
            await ctx.wait_for(lambda: ctx.state("cam-9") == "online", what="online again")
    finally:
        await sim.stop()
    assert cam.requests["GetServices"] >= 1 and cam.requests["CreatePullPointSubscription"] == 0
    assert "ptz_url" not in ctx.records["cam-9"].facts


@pytest.mark.parametrize("utc_offset_hours", [8.0, -3.5])
async def test_a_camera_telling_only_local_time_is_signed_with_its_own_clock(sim, utc_offset_hours):
    cam = sim["cam-2"].camera
    cam.config.local_time_only = True
    cam.config.utc_offset_hours = utc_offset_hours
    cam.set_clock_skew(-2 * 3600)  # far outside the 60 s the camera accepts tokens within
    async with watching([camera_spec(sim["cam-2"])]) as (ctx, _):
        await _subscribed(sim, "cam-2")
        cam.trigger("motion", True)
        await ctx.wait_for_event("video.motion", state=State.STATE_RAISED)
    facts = ctx.records["cam-2"].facts
    assert abs(float(facts["clock_offset_s"]) + 7200) < 5 and facts["clock_source"].startswith("local time in zone")
    assert cam.requests["auth_failures"] == 0



async def test_events_raised_while_the_cameras_link_is_cut_arrive_when_it_is_back_on_the_same_pull_point(sim):
    # Long pulls and a long request timeout, as in the county benchmark: a 2 s cable cut (a flapping
    # switch port) must cost about 2 s, not a pull timeout plus a request timeout.
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"])], pull_timeout=10.0, request_timeout=10.0,
                        subscription_lifetime=600.0, renew_before=120.0, retry_max=60.0) as (ctx, _):
        await _subscribed(sim)
        cam.set_link(False)
        cam.trigger("motion", True)  # answers the pull in flight, but the answer waits for the link
        await eventually(lambda: cam.requests["PullMessages"] >= 1, what="pull in flight")
        await asyncio.sleep(0.5)
        cam.trigger("motion", False)
        cam.trigger("tamper", True)
        await asyncio.sleep(1.0)
        cam.set_link(True)
        await ctx.wait_for_event("video.motion", state=State.STATE_CLEARED)
        await ctx.wait_for_event("video.tamper", state=State.STATE_RAISED)
    assert [e.state for e in ctx.of_type("video.motion")] == [State.STATE_RAISED, State.STATE_CLEARED]
    assert cam.requests["CreatePullPointSubscription"] == 1  # nothing queued on the pull point was lost


async def test_a_pull_the_camera_never_answers_is_given_up_soon_after_its_timeout(sim):
    # A camera that lost the request (it hung for a moment): the adapter must not wait its whole
    # request timeout past the pull timeout before pulling again.
    cam = sim["cam-1"].camera
    async with watching([camera_spec(sim["cam-1"])], pull_timeout=1.0, pull_grace=0.5, request_timeout=60.0,
                        subscription_lifetime=600.0, renew_before=120.0, retry_max=60.0) as (ctx, _):
        await _subscribed(sim)
        cam.set_silent(True)
        await eventually(lambda: sim["cam-1"].resource._hanging, what="a pull the camera will never answer")
        cam.trigger("motion", True)
        cam.set_silent(False)
        await ctx.wait_for_event("video.motion", state=State.STATE_RAISED, timeout=10.0)
    assert cam.requests["CreatePullPointSubscription"] == 1


async def test_cameras_waiting_for_a_setup_slot_say_so_and_are_set_up_in_turn(sim):
    slow = sim["cam-1"].camera
    slow.set_misbehaviour("slow", delay=0.5)  # its setup holds the only slot for a while
    async with watching([camera_spec(sim["cam-1"]), camera_spec(sim["cam-2"])], max_setups=1,
                        request_timeout=5.0) as (ctx, _):
        await eventually(lambda: slow.requests["GetSystemDateAndTime"] >= 1, what="cam-1 being set up")
        await eventually(lambda: ctx.records["cam-2"].facts.get("setup", "").startswith("waiting"),
                         what="cam-2 waiting for the slot")
        assert "max_setups" in ctx.records["cam-2"].facts["setup"]
        assert "max_setups" in ctx.records["cam-2"].facts["late"]  # campus-hub devices' LATE column
        assert ctx.metrics.gauges[("setup_waiting", ())] >= 1
        assert ctx.metrics.gauges[("devices_late", (("bound", "max_setups"),))] == 1
        slow.set_misbehaviour("none")
        await ctx.wait_for(lambda: ctx.state("cam-1") == ctx.state("cam-2") == "online", what="both online")
        assert ctx.records["cam-2"].facts["setup"].startswith("done")
        assert ctx.records["cam-2"].facts["late"] == ""
        assert ctx.metrics.gauges[("devices_late", (("bound", "max_setups"),))] == 0
