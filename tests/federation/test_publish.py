"""The NATS uplink publishes the journal through a persisted cursor, acknowledged by JetStream."""
from __future__ import annotations

import asyncio

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
