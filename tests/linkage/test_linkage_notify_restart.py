"""A notify that had not been accepted when the hub stopped is resumed by the next start, from the
journal: the duty system, down while the first hub tried, is up when the second starts and gets
the notification exactly once, with the first attempt's idempotency key; a third start sends
nothing."""
from __future__ import annotations

import asyncio
import json
import socket

from twisted.internet import defer
from twisted.web import resource, server

from hub.journal import JournalCursor
from hub.linkage import LINKAGE_CATEGORY, NOTIFY_CURSOR_NAME
from tests.linkage.helpers import linkage_events, linkage_hub, other_device, panic, phases


class DutySystem(resource.Resource):
    """Accepts every post (202) and keeps what it was sent."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[tuple[str, dict]] = []

    def render_POST(self, request) -> bytes:
        self.posts.append((request.getHeader("idempotency-key"), json.loads(request.content.read())))
        request.setResponseCode(202)
        return b"{}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def section(url: str, **notify) -> dict:
    return {"rules": [{"id": "tell-duty", "version": "4", "when": {"categories": ["panic"]},
                       "do": [{"notify": {"url": url, "attempts": 100, "retry_initial": "0.05s",
                                          "request_timeout": "1s", "timeout": "1h", **notify}}]}]}


async def notify_entries(hub) -> list[tuple[int, str, dict]]:
    """(sequence, phase, attributes) of every journaled notify event."""
    entries = await JournalCursor.at(hub.journal, hub.journal.earliest - 1).read(100_000)
    return [(entry.seq, entry.type.rsplit(".", 1)[1], dict(event.attributes)) for entry in entries
            if entry.category == LINKAGE_CATEGORY and (event := entry.event()).attributes.get("action") == "notify"]


async def test_a_notify_not_accepted_before_a_restart_is_sent_once_by_the_next_start(tmp_path):
    from twisted.internet import reactor

    port = free_port()  # nobody listens there yet: the duty system is down
    url = f"http://127.0.0.1:{port}/duty"
    devices = [other_device("pb-1", "panic_button", zone="gate")]
    async with linkage_hub(tmp_path, devices, section(url)) as hub:
        trigger = await hub.submit(panic(), "test")
        await linkage_events(hub, lambda es: ("started", "notify", "pb-1") in phases(es), "notify started")
        await asyncio.sleep(0.2)  # (tried and refused a few times meanwhile)
        before_stop = await notify_entries(hub)
    [(started_at, phase, started)] = before_stop
    assert phase == "started"
    duty = DutySystem()
    listening = reactor.listenTCP(port, server.Site(duty), interface="127.0.0.1")  # the duty system is up
    try:
        async with linkage_hub(tmp_path, devices, section(url)) as hub:
            await linkage_events(hub, lambda es: ("done", "notify", "pb-1") in phases(es), "notify done")
            await hub.linkage.engine.drain()
            after_restart = await notify_entries(hub)
        async with linkage_hub(tmp_path, devices, section(url)) as hub:
            await hub.linkage.engine.drain()
            after_another = await notify_entries(hub)
            notify_cursor = await JournalCursor.named(hub.journal, NOTIFY_CURSOR_NAME)
    finally:
        await defer.maybeDeferred(listening.stopListening).asFuture(asyncio.get_running_loop())
    [(key, body)] = duty.posts  # exactly once
    assert key == started["action_id"] == body["action_id"]
    assert body["rule"] == "tell-duty" and body["rule_version"] == "4"
    assert body["event"]["sequence"] == trigger and body["event"]["type"] == "panic.alarm"
    assert body["event"]["zone"] == "gate"
    [_, (_, phase, done)] = after_restart  # the start, then only its result: no second start
    assert phase == "done" and done["action_id"] == started["action_id"] and done["resumed"] == str(started_at)
    assert done["attempts"] == "1" and done["status"] == "202"
    assert after_another == after_restart  # the third start found nothing open and sent nothing
    assert notify_cursor.position >= started_at  # nor will a later one look at it again


async def test_a_notify_whose_rule_is_gone_after_the_restart_is_journaled_failed_not_sent(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/duty"
    devices = [other_device("pb-1", "panic_button", zone="gate")]
    async with linkage_hub(tmp_path, devices, section(url)) as hub:
        await hub.submit(panic(), "test")
        await linkage_events(hub, lambda es: ("started", "notify", "pb-1") in phases(es), "notify started")
    async with linkage_hub(tmp_path, devices, {}) as hub:
        events = await linkage_events(hub, lambda es: ("failed", "notify", "pb-1") in phases(es), "notify failed")
    failed = events[-1]
    assert failed.attributes["reason"] == "not resumed after a restart: rule 'tell-duty' no longer has this notify"


async def test_a_notify_whose_trigger_retention_deleted_before_the_restart_is_journaled_failed_not_sent(tmp_path):
    from hub.journal import Journal

    url = f"http://127.0.0.1:{free_port()}/duty"
    devices = [other_device("pb-1", "panic_button", zone="gate")]
    async with linkage_hub(tmp_path, devices, section(url)) as hub:
        trigger = await hub.submit(panic(), "test")
        await linkage_events(hub, lambda es: ("started", "notify", "pb-1") in phases(es), "notify started")
    # Retention, while the hub is down, deletes the trigger but not the notify's start after it.
    journal = Journal(str(tmp_path / "journal.db"), max_age=3600.0)
    await journal.open()
    try:
        entries = await JournalCursor.at(journal, 0).read(1000)
        [triggered] = [entry for entry in entries if entry.seq == trigger]
        [started] = [entry for entry in entries if entry.type == "linkage.action.started"]
        assert triggered.received_at < started.received_at
        await journal.apply_retention(now=(triggered.received_at + started.received_at) / 2 + 3600.0)
        assert journal.earliest > trigger and journal.earliest <= started.seq
    finally:
        await journal.close()
    async with linkage_hub(tmp_path, devices, section(url)) as hub:
        await hub.linkage.engine.drain()
        after_restart = await notify_entries(hub)
    assert [phase for _, phase, _ in after_restart] == ["started", "failed"]
    failed = after_restart[1][2]
    assert failed["resumed"] == str(started.seq)
    assert failed["reason"] == f"not resumed after a restart: its trigger (sequence {trigger}) is no longer in the journal"
