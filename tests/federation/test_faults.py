"""Faults between a school hub, a real nats-server and a county hub: the server killed mid-stream,
a school offline for a while, acknowledgements lost both ways. At the county every event of each
origin arrives exactly once, in the order of its origin sequence."""
from __future__ import annotations

import asyncio
import contextlib

import nats
import pytest

from tests.federation.conftest import camera_event, eventually, fire_event, hub_settings, running
from tests.federation.faulty_link import FaultyLink
from tests.federation.test_ingest import county_settings, journaled
from uplinks.nats import IngestOptions, StreamOptions
from uplinks.nats._subjects import lane_of
from uplinks.nats.servers import NatsServer


class Sent:
    """What a school journaled, per lane, in journal order."""

    def __init__(self, hub_id: str) -> None:
        self.hub_id = hub_id
        self.lanes: dict[str, list[int]] = {"alarm": [], "event": []}

    async def submit(self, hub, event) -> int:
        sequence = await hub.submit(event, "synth")
        self.lanes[lane_of(event.category)].append(sequence)
        return sequence

    def __len__(self) -> int:
        return sum(map(len, self.lanes.values()))


async def arrived(county, origin: str) -> dict[str, list[int]]:
    """The origin sequences of ``origin`` journaled at the county, per lane, in its journal order."""
    lanes: dict[str, list[int]] = {"alarm": [], "event": []}
    for event in await journaled(county):
        if event.origin_hub_id == origin:
            lanes[lane_of(event.category)].append(event.origin_sequence)
    return lanes


async def drained(url: str, durable: str = "county-140802") -> bool:
    """Nothing left for the county's consumers: none pending, none awaiting an acknowledgement
    (so nothing more, a duplicate included, can still arrive)."""
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        for lane, stream in (("alarm", "CAMPUS_ALARMS"), ("event", "CAMPUS_EVENTS")):
            info = await js.consumer_info(stream, f"{durable}-{lane}")
            if info.num_pending or info.num_ack_pending:
                return False
        return True
    finally:
        await client.close()


async def until_drained(url: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await drained(url):
        assert asyncio.get_running_loop().time() < deadline, "the county's consumers did not drain"
        await asyncio.sleep(0.1)


def _counted(hub, name: str) -> float:
    return sum(count for (instance, counter, _), count in hub.metrics.adapter_counter.tally.items()
               if instance == "uplink:nats" and counter == name)


@contextlib.asynccontextmanager
async def faulty_link(server: NatsServer):
    link = await FaultyLink(server.port).start()
    try:
        yield link
    finally:
        await link.close()


async def test_a_nats_server_killed_and_restarted_mid_stream_loses_and_doubles_nothing(tmp_path, nats_server):
    servers = [nats_server.url]
    sent = Sent("school-a")
    stop_producing = asyncio.Event()

    async def produce():
        n = 0
        while not stop_producing.is_set():
            event = fire_event("sch-a", n) if n % 25 == 0 else camera_event("sch-a", n)
            await sent.submit(school, event)
            n += 1
            await asyncio.sleep(0.002)

    async with running(hub_settings(tmp_path, "school-a", servers, school="sch-a")) as school, \
            running(county_settings(tmp_path, servers)) as county:
        producer = asyncio.ensure_future(produce())
        try:
            await eventually(lambda: county.journal.head >= 100)
            nats_server.stop(kill=True)
            at_kill = len(sent)
            # The school keeps journaling; its backlog is the buffer.
            await eventually(lambda: len(sent) >= at_kill + 200)
            await eventually(lambda: school.uplink("nats").status()["backlog"] >= 150)
            restarted = NatsServer(nats_server.directory, nats_server.name, port=nats_server.port).start()
            try:
                at_restart = len(sent)
                await eventually(lambda: len(sent) >= at_restart + 100)
                stop_producing.set()
                await producer
                await eventually(lambda: school.uplink("nats").status()["backlog"] == 0, timeout=30)
                await until_drained(restarted.url)
                got = await arrived(county, "school-a")
            finally:
                restarted.stop()
        finally:
            stop_producing.set()
            await producer
    assert got == sent.lanes  # every one, once, in origin order per lane
    assert len(sent.lanes["alarm"]) >= 10 and county.journal.head == len(sent)


async def test_a_school_offline_for_a_while_delivers_its_backlog_in_order_once(tmp_path, nats_server):
    a, b = Sent("school-a"), Sent("school-b")
    async with faulty_link(nats_server) as link, \
            running(county_settings(tmp_path, [nats_server.url])) as county, \
            running(hub_settings(tmp_path, "school-b", [nats_server.url], school="sch-b")) as school_b:
        async with running(hub_settings(tmp_path, "school-a", [link.url], school="sch-a")) as school_a:
            for n in range(20):
                await a.submit(school_a, camera_event("sch-a", n))
                await b.submit(school_b, camera_event("sch-b", n))
            await eventually(lambda: county.journal.head == 40)
            link.cut()
            for n in range(20, 120):
                await a.submit(school_a, fire_event("sch-a", n) if n % 10 == 0 else camera_event("sch-a", n))
                await b.submit(school_b, camera_event("sch-b", n))
            # The other school is not held up by the one offline.
            await eventually(lambda: county.journal.head == 140)
            assert (await arrived(county, "school-a"))["event"] == a.lanes["event"][:20]
            assert school_a.uplink("nats").status()["backlog"] >= 100
        # The school itself goes down while offline, and comes back still cut off.
        async with running(hub_settings(tmp_path, "school-a", [link.url], school="sch-a")) as school_a:
            for n in range(120, 170):
                await a.submit(school_a, fire_event("sch-a", n) if n % 10 == 0 else camera_event("sch-a", n))
            await eventually(lambda: _counted(school_a, "uplink_publish_failures") >= 1
                             or school_a.metrics.adapter_restarts.labels("uplink:nats")._value.get() >= 1)
            link.restore()
            await eventually(lambda: school_a.uplink("nats") is not None
                             and school_a.uplink("nats").status()["backlog"] == 0, timeout=30)
            await until_drained(nats_server.url)
            assert await arrived(county, "school-a") == a.lanes
            assert await arrived(county, "school-b") == b.lanes
            assert county.journal.head == len(a) + len(b)


async def test_a_publisher_resending_after_lost_acks_is_deduplicated_at_the_upper_hub(tmp_path, nats_server):
    # A duplicate window shorter than the publisher's ack timeout: the re-sends are stored in the
    # stream again, so only the county's own check by origin keeps them out of its journal.
    streams = StreamOptions(duplicate_window=0.5)
    county_options = IngestOptions(region_prefix="140802", origins=["school-a"], batch=50, ack_wait=3.0)
    sent = Sent("school-a")
    async with faulty_link(nats_server) as link, \
            running(hub_settings(tmp_path, "county-140802", [nats_server.url], ingest=county_options,
                                 streams=streams)) as county, \
            running(hub_settings(tmp_path, "school-a", [link.url], school="sch-a", streams=streams)) as school:
        for n in range(10):
            await sent.submit(school, camera_event("sch-a", n))
        await eventually(lambda: school.uplink("nats").status()["backlog"] == 0)
        link.lose_replies = True
        for n in range(10, 30):
            await sent.submit(school, fire_event("sch-a", n) if n % 5 == 0 else camera_event("sch-a", n))
        # Each failure is an ack timeout followed by a re-send of the whole unacknowledged window.
        await eventually(lambda: _counted(school, "uplink_publish_failures") >= 3)
        link.lose_replies = False
        await eventually(lambda: school.uplink("nats").status()["backlog"] == 0, timeout=30)
        await until_drained(nats_server.url)
        client = await nats.connect(nats_server.url)
        try:
            js = client.jetstream()
            stored = sum([(await js.stream_info(name)).state.messages for name in ("CAMPUS_ALARMS", "CAMPUS_EVENTS")])
        finally:
            await client.close()
        assert link.lost["reply"] >= 1 and stored > len(sent)  # the duplicates did reach the stream
        assert await arrived(county, "school-a") == sent.lanes
        assert county.journal.head == len(sent)
        assert _counted(county, "uplink_duplicates_dropped") == stored - len(sent)


@pytest.mark.parametrize("lost", ["plain", "all"])
async def test_acknowledgements_lost_on_the_way_to_jetstream_are_redelivered_and_dropped(tmp_path, nats_server,
                                                                                         lost):
    # "plain": the acks of a batch but its confirmed last one are lost (the county goes on, and
    # drops the redeliveries it remembers); "all": the confirmation times out too and the uplink
    # restarts (it drops them by the journal's entries after its checkpoint).
    county_options = IngestOptions(region_prefix="140802", origins=["school-a"], batch=10, ack_wait=1.0)
    sent = Sent("school-a")
    async with faulty_link(nats_server) as link, \
            running(hub_settings(tmp_path, "school-a", [nats_server.url], school="sch-a")) as school, \
            running(hub_settings(tmp_path, "county-140802", [link.url], publish=False,
                                 ingest=county_options)) as county:
        link.lose_consumer_acks = lost
        for n in range(40):
            await sent.submit(school, fire_event("sch-a", n) if n % 8 == 0 else camera_event("sch-a", n))
        await eventually(lambda: _counted(county, "uplink_duplicates_dropped") >= 1, timeout=30)
        link.lose_consumer_acks = None
        await until_drained(nats_server.url)
        # (The school's stream drops its own re-sends within the hour's window: what the county
        # dropped were JetStream's redeliveries.)
        assert link.lost["consumer_ack"] >= 1
        assert await arrived(county, "school-a") == sent.lanes
        assert county.journal.head == len(sent)


async def test_a_nats_server_killed_while_the_county_restarts_doubles_nothing(tmp_path, nats_server):
    # A server killed with SIGKILL may forget acknowledgements it had confirmed (its consumer state
    # is written behind), and redeliver what the county journaled before its checkpoint.
    sent = Sent("school-a")
    async with running(hub_settings(tmp_path, "school-a", [nats_server.url], school="sch-a")) as school:
        async with running(county_settings(tmp_path, [nats_server.url])) as county:
            for n in range(300):
                await sent.submit(school, camera_event("sch-a", n))
            # Killed as soon as the county has acknowledged (and checkpointed) the last of them.
            await eventually(lambda: sum(i.ingested for i in county.uplink("nats").ingesters) == 300, interval=0.001)
            nats_server.stop(kill=True)
        restarted = NatsServer(nats_server.directory, nats_server.name, port=nats_server.port).start()
        try:
            async with running(county_settings(tmp_path, [restarted.url])) as county:
                await until_drained(restarted.url)
                got = await arrived(county, "school-a")
                head = county.journal.head
        finally:
            restarted.stop()
    assert got == sent.lanes and head == 300
