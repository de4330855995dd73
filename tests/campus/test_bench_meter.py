"""The campus benchmark's pairing of what the simulators did with what the subscriber got."""
from __future__ import annotations

import types

from bench.bench_campus import DelayMeter, county_plan
from hub.events import Category, Severity, State, new_event, stamp_received


def panic(device_id: str, at: float):
    event = new_event(device_id=device_id, type="panic.alarm", category=Category.CATEGORY_PANIC,
                      severity=Severity.SEVERITY_CRITICAL, state=State.STATE_RAISED)
    stamp_received(event, at)
    return event


def test_only_actions_inside_the_window_are_offered_and_delivered():
    meter = DelayMeter(types.SimpleNamespace(plan=county_plan(1)))
    before, inside, last = "s001-panic-1", "s001-panic-2", "s001-panic-3"
    meter.observe(before, "panic.alarm", "raised", 99.0)  # just before the window...
    meter.measuring = True
    meter.received(panic(before, 100.1), 100.1)  # ...its event lands inside it
    meter.observe(inside, "panic.alarm", "raised", 101.0)
    meter.received(panic(inside, 101.05), 101.05)
    meter.observe(last, "panic.alarm", "raised", 102.0)  # the window's last action
    meter.measuring = False
    assert meter.offered["sia"] == 2 and len(meter.delays["sia"]) == 1  # never n > offered
    assert meter.still_pending()["sia"] == 1
    meter.received(panic(last, 102.2), 102.2)  # its event arrives after the window: still counted
    assert len(meter.delays["sia"]) == 2 and meter.still_pending()["sia"] == 0 and meter.missed["sia"] == 0


def motion(device_id: str, occurred: float, received: float):
    event = new_event(device_id=device_id, type="video.motion", category=Category.CATEGORY_VIDEO,
                      severity=Severity.SEVERITY_WARNING, state=State.STATE_RAISED, occurred_at=occurred)
    stamp_received(event, received)
    return event


def test_events_of_a_cut_link_arriving_together_are_each_paired_with_their_own_action():
    meter = DelayMeter(types.SimpleNamespace(plan=county_plan(1)))
    meter.measuring = True
    camera = "s001-cam-1"
    for at in (100.0, 103.0):  # motion twice while the camera's link was cut
        meter.observe(camera, "video.motion", "raised", at)
    meter.received(motion(camera, 100.0, 106.0), 106.0)  # both arrive once it is back
    meter.received(motion(camera, 103.0, 106.0), 106.0)
    assert sorted(meter.delays["onvif"]) == [3.0, 6.0] and meter.missed["onvif"] == 0


def test_an_action_the_hub_never_reported_is_missed_not_paired():
    meter = DelayMeter(types.SimpleNamespace(plan=county_plan(1)))
    meter.measuring = True
    panel = "s001-fire-a"
    meter.observe(panel, "fire.prealarm", "raised", 100.0)  # came and went between two polls
    meter.observe(panel, "fire.prealarm", "raised", 102.0)
    event = new_event(device_id=panel, type="fire.prealarm", category=Category.CATEGORY_FIRE,
                      severity=Severity.SEVERITY_WARNING, state=State.STATE_RAISED, occurred_at=102.4)
    stamp_received(event, 102.5)
    meter.received(event, 102.5)
    assert meter.delays["modbus"] == [0.5] and meter.missed["modbus"] == 1
    assert meter.still_pending()["modbus"] == 0
