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
