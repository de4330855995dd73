"""The NATS uplink publishes the journal through a persisted cursor, acknowledged by JetStream."""
from __future__ import annotations

import asyncio

import pytest

from hub.events import Event
from hub.journal import JournalCursor
from tests.federation.conftest import camera_event, eventually, fire_event, hub_settings, running
from uplinks.nats.servers import NatsServer


async def _stream_messages(js, stream: str, subject: str = ">"):
    subscription = await js.pull_subscribe(subject, stream=stream)
    messages = []
    while True:
        try:
            batch = await subscription.fetch(500, timeout=0.5)
        except asyncio.TimeoutError:
            return messages
        messages.extend(batch)


async def test_journal_is_published_with_origin_subjects_and_message_ids(tmp_path, nats_server, nats_client):
    async with running(hub_settings(tmp_path, "school-a", [nats_server.url], school="sch-a")) as hub:
        sequences = [await hub.submit(camera_event("sch-a", n), "synth") for n in range(20)]
        sequences.append(await hub.submit(fire_event("sch-a", 99), "synth"))
        await eventually(lambda: sum(p.published for p in hub.uplink("nats").publishers) == 21)
        js = nats_client.jetstream()
        routine = await _stream_messages(js, "CAMPUS_EVENTS")
        alarms = await _stream_messages(js, "CAMPUS_ALARMS")
        assert {m.subject for m in routine} == {"campus.event.14.08.02.sch-a.video"}
        assert [m.subject for m in alarms] == ["campus.alarm.14.08.02.sch-a.fire"]
        for message, sequence in zip(routine + alarms, sequences):
            assert message.headers["Nats-Msg-Id"] == f"school-a:{sequence}"
            assert message.headers["Campus-Origin"] == "school-a"
            assert Event.FromString(message.data).sequence == sequence
        # The cursors moved only as far as was acknowledged: all of it.
        for lane in ("alarm", "event"):
            cursor = await JournalCursor.named(hub.journal, f"uplink:nats:{lane}")
            assert cursor.position == hub.journal.head


async def test_an_outage_is_buffered_by_the_journal_and_caught_up_without_duplicates(tmp_path, nats_client,
                                                                                     nats_server):
    settings = hub_settings(tmp_path, "school-a", [nats_server.url], school="sch-a")
    async with running(settings) as hub:
        await hub.submit(camera_event("sch-a", 0), "synth")
        await eventually(lambda: sum(p.published for p in hub.uplink("nats").publishers) == 1)
        await nats_client.close()
        nats_server.stop()
        for n in range(1, 301):
            await hub.submit(camera_event("sch-a", n), "synth")
        await eventually(lambda: hub.uplink("nats").status()["backlog"] >= 300)
        restarted = NatsServer(nats_server.directory, nats_server.name, port=nats_server.port).start()
        try:
            await eventually(lambda: hub.uplink("nats").status()["backlog"] == 0, timeout=30)
            import nats
            client = await nats.connect(restarted.url)
            messages = await _stream_messages(client.jetstream(), "CAMPUS_EVENTS")
            await client.close()
        finally:
            restarted.stop()
    numbers = [int(Event.FromString(m.data).attributes["n"]) for m in messages]
    assert numbers == list(range(301))


async def test_a_restart_resumes_from_the_acknowledged_position(tmp_path, nats_server, nats_client):
    settings = hub_settings(tmp_path, "school-a", [nats_server.url], school="sch-a")
    async with running(settings) as hub:
        for n in range(50):
            await hub.submit(camera_event("sch-a", n), "synth")
        await eventually(lambda: hub.uplink("nats").status()["backlog"] == 0)
    async with running(settings) as hub:
        for n in range(50, 60):
            await hub.submit(camera_event("sch-a", n), "synth")
        await eventually(lambda: hub.uplink("nats").status()["backlog"] == 0)
        assert hub.uplink("nats").status()["published"] == 10
    messages = await _stream_messages(nats_client.jetstream(), "CAMPUS_EVENTS")
    assert [int(Event.FromString(m.data).attributes["n"]) for m in messages] == list(range(60))


class _HeldAcks:
    """JetStream's publish_async with the acknowledgements held until the test releases them (the
    race below needs them to arrive in one chosen loop turn, which a socket cannot promise)."""

    def __init__(self) -> None:
        self.acks: list[asyncio.Future] = []

    async def publish_async(self, subject, payload, headers=None, wait_stall=None):
        self.acks.append(asyncio.get_running_loop().create_future())
        return self.acks[-1]


async def test_a_publisher_stopped_as_its_acks_arrive_ends_cancelled(tmp_path):
    """On Python 3.11, asyncio.wait_for returned the acks and swallowed the stop's cancellation
    (gh-86296): the publisher went on to its next round and the uplink never stopped."""
    import types

    from hub.journal import Journal
    from hub.journal._entries import NewEntry
    from uplinks.nats._publisher import Publisher

    journal = Journal(str(tmp_path / "j.db"), tail_cache_events=0)
    await journal.open()
    try:
        event = camera_event("sch-a", 0)
        await journal.append_entry(NewEntry(0.0, "140802", "sch-a", event.category, event.severity, event.type,
                                            event.source_device_id, event.SerializeToString(), b""))
        js = _HeldAcks()
        metrics = types.SimpleNamespace(count=lambda *a, **k: None, gauge=lambda *a, **k: None)
        publisher = Publisher(js, journal, instance="nats", hub_id="school-a", prefix="campus", lane="event",
                              region="140802", window=8, ack_timeout=30.0, metrics=metrics)
        running = asyncio.ensure_future(publisher.run())
        await eventually(lambda: len(js.acks) == 1)
        for _ in range(3):
            await asyncio.sleep(0)  # parked on the acknowledgements
        js.acks[0].set_result(types.SimpleNamespace(duplicate=False))  # JetStream's ack, then the stop
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(running), 5.0)
    finally:
        running.cancel()
        await journal.close()
