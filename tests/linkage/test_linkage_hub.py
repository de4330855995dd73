"""Linkage in a running hub, over loopback to simulated cameras: an event at a place turns the
covering camera to its preset, takes and stores its snapshot, strobes a relay and stops it, and
every action's start and result is journaled with the rule's id and version."""
from __future__ import annotations

import pytest

from hub.linkage import LINKAGE_CATEGORY
from simulators.camera.camera import CameraConfig
from simulators.camera.simulator import CameraSimulator
from tests.linkage.helpers import camera_device, linkage_events, linkage_hub, other_device, panic, phases, until

GATE_RULE = {
    "coverage": [
        {"camera": "cam-gate", "home_preset": "1", "sites": [{"zone": "gate", "preset": "2"}]},
        {"camera": "cam-hall", "sites": [{"building": "A"}]},
    ],
    "rules": [{
        "id": "gate-panic", "version": "7",
        "when": {"categories": ["panic"], "type_prefixes": ["panic."]},
        "do": [
            {"ptz_preset": {"priority": 60, "lease": "0.3s"}},
            {"snapshot": {}},
            {"relay": {"device": "cam-gate", "output": "relay1", "for": "0.3s"}},
        ],
    }],
}


@pytest.fixture
async def cameras():
    sim = await CameraSimulator.start([CameraConfig(name="cam-gate"), CameraConfig(name="cam-hall")])
    yield sim
    await sim.stop()


def devices(cameras):
    return [camera_device(cameras["cam-gate"], zone="gate"), camera_device(cameras["cam-hall"], building="A"),
            other_device("pb-1", "panic_button", zone="gate")]


async def test_a_panic_at_the_gate_moves_snaps_and_strobes_the_covering_camera(tmp_path, cameras):
    async with linkage_hub(tmp_path, devices(cameras), GATE_RULE) as hub:
        await hub.submit(panic(), "test")
        events = await linkage_events(hub, lambda es: ("done", "relay_off", "cam-gate") in phases(es)
                                      and ("done", "ptz_home", "cam-gate") in phases(es), "the whole run")
        stored = [e for e in events if e.type == "linkage.action.done" and e.attributes["action"] == "snapshot"]
        found = hub.media.get(stored[0].media[0].uri)
    assert phases(events, "ptz_preset") == [("started", "ptz_preset", "cam-gate"), ("done", "ptz_preset", "cam-gate")]
    assert phases(events, "snapshot") == [("started", "snapshot", "cam-gate"), ("done", "snapshot", "cam-gate")]
    assert all(e.attributes["rule"] == "gate-panic" and e.attributes["rule_version"] == "7" for e in events)
    assert all(e.attributes["alarm_id"] == "pb-1/panic.alarm/gate" for e in events)
    [media] = stored[0].media
    assert media.kind == "snapshot" and media.uri.startswith("media:") and media.mime_type == "image/jpeg"
    item, data = found
    assert item.device_id == "cam-gate" and b"cam-gate" in data[:512] and item.site["zone"] == "gate"
    gate = cameras["cam-gate"].camera
    assert [m.preset for m in gate.ptz.moves] == ["2", "1"]  # to the gate, then home when the lease ended
    assert [(c.relay, c.active) for c in gate.relays.changes] == [("relay1", True), ("relay1", False)]
    assert cameras["cam-hall"].camera.requests["snapshot"] == 0  # it covers building A, not the gate


async def test_bad_targets_fail_alone_and_say_why(tmp_path, cameras):
    section = {
        "coverage": [{"camera": "cam-gate", "sites": [{"zone": "gate"}]}],  # no preset for the gate
        "rules": [{
            "id": "faults", "when": {"type_prefixes": ["panic."]},
            "do": [{"ptz_preset": {}}, {"relay": {"device": "cam-gate", "output": "siren9", "for": "1s"}},
                   {"panel": {"device": "pb-1", "command": "silence"}}, {"snapshot": {}}],
        }],
    }
    cameras["cam-gate"].camera.snapshot_mode = "html"
    async with linkage_hub(tmp_path, devices(cameras), section) as hub:
        await hub.submit(panic(), "test")
        events = await linkage_events(hub, lambda es: len([e for e in es if e.type != "linkage.action.started"]) >= 4,
                                      "four results")
        await hub.submit(panic("pb-2"), "test")  # an unplaced device: no camera covers it
        more = await linkage_events(hub, lambda es: len(es) > len(events), "the uncovered run")
    failed = {e.attributes["action"]: e.attributes["reason"] for e in events if e.type == "linkage.action.failed"}
    assert failed["ptz_preset"].startswith("no preset for school_id sch-1, zone gate on cam-gate")
    assert "no relay output 'siren9'" in failed["relay"]
    assert failed["panel"] == "pb-1's adapter 'none' is not configured"
    assert "text/html, not image/jpeg" in failed["snapshot"]
    last = more[-1]
    assert last.type == "linkage.action.failed" and last.attributes["reason"].startswith("no camera covers")
    assert hub.media.get("0" * 64) is None


async def test_throttle_holds_repeats_of_an_action_on_one_target(tmp_path, cameras):
    section = {
        "coverage": [{"camera": "cam-gate", "sites": [{"zone": "gate"}]}],
        "rules": [{"id": "snap", "when": {"type_prefixes": ["panic."]}, "throttle": "1h", "mode": "parallel",
                   "do": [{"snapshot": {}}]}],
    }
    async with linkage_hub(tmp_path, devices(cameras), section) as hub:
        for _ in range(3):
            await hub.submit(panic(), "test")
        await linkage_events(hub, lambda es: ("done", "snapshot", "cam-gate") in phases(es), "one snapshot")
        await until(lambda: hub.linkage.engine.counts["throttled"] == 2, "two throttled")
        events = await linkage_events(hub, lambda es: True, "anything")
    assert phases(events) == [("started", "snapshot", "cam-gate"), ("done", "snapshot", "cam-gate")]
    assert cameras["cam-gate"].camera.requests["snapshot"] >= 1
    assert LINKAGE_CATEGORY == 12


async def test_the_alarm_shows_the_snapshot_of_its_covering_camera_also_after_a_rebuild(tmp_path, cameras):
    from hub.alarms import AlarmClass

    section = {"coverage": [{"camera": "cam-gate", "sites": [{"zone": "gate"}]}],
               "rules": [{"id": "panic-snap", "when": {"alarm_class": "panic"}, "do": [{"snapshot": {}}]}]}
    classes = [AlarmClass(name="panic", priority=1, categories=frozenset({3}), latch=True)]
    async with linkage_hub(tmp_path, devices(cameras), section, alarm_classes=classes) as hub:
        await hub.submit(panic(), "test")
        await linkage_events(hub, lambda es: ("done", "snapshot", "cam-gate") in phases(es), "the snapshot")
        await hub.alarms.wait_applied(hub.journal.head)
        [attached] = hub.alarms.media["pb-1/panic.alarm/gate"]
        message = hub.grpc.alarms._message(hub.alarms.table["pb-1/panic.alarm/gate"]) if hasattr(hub.grpc, "alarms") else None
        await hub.alarms.rebuild()
        rebuilt = hub.alarms.media["pb-1/panic.alarm/gate"]
    assert attached.kind == "snapshot" and attached.uri.startswith("media:") and rebuilt == [attached]
    if message is not None:
        assert list(message.media) == [attached]
