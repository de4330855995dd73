"""An upper hub journals its region's events from the hubs below, keeping their origin: nothing
lost or doubled across restarts, redeliveries and bad messages."""
from __future__ import annotations

import asyncio

import grpc

from hub.events import Event
from hub.journal import JournalCursor
from campushub.v1 import event_hub_service_pb2 as pb, event_hub_service_pb2_grpc as pb_grpc
from tests.federation.conftest import (
    COUNTY_TOKEN, camera_event, eventually, fire_event, hub_settings, running)
from uplinks.nats import IngestOptions


async def journaled(hub) -> list[Event]:
    reader = JournalCursor.at(hub.journal, 0)
    events = []
    while entries := await reader.read(5000):
        events.extend(entry.event() for entry in entries)
    return events


def origins_of(events):
    return [(e.origin_hub_id, e.origin_sequence) for e in events if e.origin_hub_id]


def county_settings(tmp_path, servers, origins=("school-a", "school-b")):
    return hub_settings(tmp_path, "county-140802", servers, publish=True,
                        ingest=IngestOptions(region_prefix="140802", origins=list(origins), batch=50,
                                                            ack_wait=3.0))


async def test_a_county_journals_both_schools_with_origin_and_serves_them(tmp_path, nats_server):
    servers = [nats_server.url]
    async with running(hub_settings(tmp_path, "school-a", servers, school="sch-a")) as school_a, \
            running(hub_settings(tmp_path, "school-b", servers, school="sch-b")) as school_b, \
            running(county_settings(tmp_path, servers)) as county:
        expected = set()
        for n in range(30):
            expected.add(("school-a", await school_a.submit(camera_event("sch-a", n), "synth")))
            expected.add(("school-b", await school_b.submit(camera_event("sch-b", n), "synth")))
        expected.add(("school-a", await school_a.submit(fire_event("sch-a", 1), "synth")))
        await eventually(lambda: county.journal.head >= len(expected))
        await asyncio.sleep(0.3)  # (anything doubled would arrive by now)
        events = await journaled(county)
        assert sorted(origins_of(events)) == sorted(expected)
        fire = next(e for e in events if e.type == "fire.alarm")
        assert (fire.site.school_id, fire.site.region_code, fire.source_device_id) == ("sch-a", "140802", "sch-a-fp")
        # A county subscriber sees the school's events with their origin.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{county.grpc_port}") as channel:
            stub = pb_grpc.EventHubServiceStub(channel)
            call = stub.Subscribe(pb.SubscribeRequest(from_earliest=True),
                                  metadata=[("authorization", f"Bearer {COUNTY_TOKEN}")])
            seen = []
            async for response in call:
                seen.extend(response.batch.events)
                if len(seen) >= len(expected):
                    break
            call.cancel()
        assert {(e.origin_hub_id, e.origin_sequence) for e in seen} == expected


async def test_an_upper_hub_restarted_mid_ingest_loses_and_doubles_nothing(tmp_path, nats_server):
    servers = [nats_server.url]
    async with running(hub_settings(tmp_path, "school-a", servers, school="sch-a")) as school:
        for n in range(200):
            school.submit(camera_event("sch-a", n), "synth")
        async with running(county_settings(tmp_path, servers)) as county:
            await eventually(lambda: county.journal.head >= 20)

        for n in range(200, 400):
            school.submit(camera_event("sch-a", n), "synth")
        async with running(county_settings(tmp_path, servers)) as county:
            await eventually(lambda: county.journal.head >= 400)
            await asyncio.sleep(0.3)
            events = await journaled(county)
    numbers = [int(e.attributes["n"]) for e in events if e.origin_hub_id]
    assert numbers == list(range(400))  # in order, once each
