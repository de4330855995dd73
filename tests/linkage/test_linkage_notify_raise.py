"""notify posts JSON to a duty system over loopback, retried until accepted with one
idempotency key; raise derives an event from correlated ones; a raised event never loops."""
from __future__ import annotations

import asyncio
import json

import pytest
from twisted.internet import defer
from twisted.web import resource, server

from hub.events import Category, Severity, State, new_event
from tests.linkage.helpers import journaled, linkage_events, linkage_hub, other_device, panic, phases, until


class DutySystem(resource.Resource):
    """Refuses the first ``refuse`` posts with 503, then accepts; keeps what it was sent."""

    isLeaf = True

    def __init__(self, refuse: int) -> None:
        super().__init__()
        self.refuse = refuse
        self.posts: list[tuple[str, dict]] = []

    def render_POST(self, request) -> bytes:
        self.posts.append((request.getHeader("idempotency-key"), json.loads(request.content.read())))
        if len(self.posts) <= self.refuse:
            request.setResponseCode(503)
            return b"busy"
        request.setResponseCode(202)
        return b"{}"


@pytest.fixture
async def duty():
    from twisted.internet import reactor

    system = DutySystem(refuse=2)
    port = reactor.listenTCP(0, server.Site(system), interface="127.0.0.1")
    system.url = f"http://127.0.0.1:{port.getHost().port}/duty"
    yield system
    await defer.maybeDeferred(port.stopListening).asFuture(asyncio.get_running_loop())


async def test_notify_is_retried_until_accepted_with_one_idempotency_key(tmp_path, duty):
    section = {"rules": [{"id": "tell", "when": {"categories": ["panic"]},
                          "do": [{"notify": {"url": duty.url, "retry_initial": "0.05s"}}]}]}
    async with linkage_hub(tmp_path, [other_device("pb-1", "panic_button", zone="gate")], section) as hub:
        await hub.submit(panic(), "test")
        events = await linkage_events(hub, lambda es: ("done", "notify", "pb-1") in phases(es), "notify done")
    keys = {key for key, _ in duty.posts}
    assert len(duty.posts) == 3 and len(keys) == 1
    [key] = keys
    done = events[-1]
    assert done.attributes["attempts"] == "3" and done.attributes["action_id"] == key
    body = duty.posts[-1][1]
    assert body["rule"] == "tell" and body["event"]["type"] == "panic.alarm" and body["event"]["zone"] == "gate"


async def test_notify_to_nobody_fails_with_the_reason(tmp_path):
    section = {"rules": [{"id": "tell", "when": {}, "do": [{"notify": {
        "url": "http://127.0.0.1:9/nobody", "attempts": 2, "retry_initial": "0.05s"}}]}]}
    async with linkage_hub(tmp_path, [other_device("pb-1", "panic_button")], section) as hub:
        await hub.submit(panic(), "test")
        events = await linkage_events(hub, lambda es: ("failed", "notify", "pb-1") in phases(es), "notify failed")
    assert events[-1].attributes["reason"].startswith("not accepted after 2 attempts")


def _smoke(zone: str):
    event = new_event(device_id="fp-1", type="fire.smoke", category=Category.CATEGORY_FIRE,
                      severity=Severity.SEVERITY_MAJOR, state=State.STATE_RAISED)
    event.site.zone = zone
    return event


def _motion(zone: str):
    event = new_event(device_id="cam-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                      severity=Severity.SEVERITY_WARNING, state=State.STATE_RAISED)
    event.site.zone = zone
    return event


async def test_smoke_and_motion_in_one_zone_raise_fire_confirmed_once(tmp_path):
    section = {"rules": [
        {"id": "confirm", "when": {"type_prefixes": ["fire.smoke", "video.motion"]}, "mode": "queued",
         "do": [{"raise": {"type": "fire.confirmed", "category": "fire", "severity": "critical",
                           "requires": ["fire.smoke", "video.motion"], "within": "60s", "same": ["zone"]}}]},
        # Would start on fire.confirmed: the derived event starts other rules, never its own.
        {"id": "on-confirmed", "when": {"type_prefixes": ["fire.confirmed"]},
         "do": [{"notify": {"url": "http://127.0.0.1:9/", "attempts": 1}}]},
    ]}
    devices = [other_device("fp-1", "fire_panel"), other_device("cam-1", "camera")]
    async with linkage_hub(tmp_path, devices, section) as hub:
        await hub.submit(_smoke("3"), "test")
        await hub.submit(_motion("4"), "test")  # another zone: nothing yet
        await linkage_events(hub, lambda es: len([e for e in es if e.type == "linkage.action.skipped"]) == 2, "two")
        await hub.submit(_motion("3"), "test")
        await linkage_events(hub, lambda es: ("failed", "notify", "fp-1") in phases(es) or
                             ("failed", "notify", "cam-1") in phases(es), "the confirmed event's rule")
        confirmed = [e for e in await journaled(hub) if e.type == "fire.confirmed"]
    [event] = confirmed
    assert event.site.zone == "3" and event.attributes["raised_by_rule"] == "confirm"
    assert event.attributes["linkage_depth"] == "1"
