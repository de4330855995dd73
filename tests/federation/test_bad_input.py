"""Bad input at an upper hub, differing streams, a server that never answers: refused with a
clear error and counted; nothing stalls, nothing acknowledged is lost."""
from __future__ import annotations

import asyncio
import socket

import pytest
from hypothesis import given, strategies as st

from hub.events import Event
from tests.federation.conftest import camera_event, eventually, hub_settings, running
from tests.federation.test_ingest import county_settings, journaled
from uplinks.nats import IngestOptions, StreamMismatch, StreamOptions
from uplinks.nats._streams import ensure_streams
from uplinks.nats._subjects import decode_token, encode_token, event_subject, region_of_subject


def _refused(hub, reason: str) -> float:
    """campushub_adapter_events_total{adapter="uplink:nats", name="uplink_refused", labels~reason}."""
    return sum(count for (instance, name, labels), count in hub.metrics.adapter_counter.tally.items()
               if instance == "uplink:nats" and name == "uplink_refused" and f"reason={reason}" in labels)


async def test_poison_messages_are_refused_counted_and_do_not_stall_the_consumer(tmp_path, nats_server,
                                                                                nats_client):
    servers = [nats_server.url]
    js = nats_client.jetstream()
    good = camera_event("sch-a", 0)
    good.sequence = 7
    good.site.region_code, good.site.school_id = "140802", "sch-a"
    async with running(county_settings(tmp_path, servers)) as county:
        await eventually(lambda: any(i.ingested == 0 for i in county.uplink("nats").ingesters)
                         and len(county.uplink("nats").ingesters) == 2)
        subject = "campus.event.14.08.02.sch-a.video"
        await js.publish(subject, b"\xff\xff not protobuf", headers={"Campus-Origin": "school-a",
                                                                     "Campus-Origin-Seq": "5"})
        await js.publish(subject, good.SerializeToString(), headers={"Campus-Origin": "intruder",
                                                                     "Campus-Origin-Seq": "7"})
        await js.publish(subject, good.SerializeToString(), headers={"Campus-Origin": "school-a",
                                                                     "Campus-Origin-Seq": "8"})
        await js.publish(subject, good.SerializeToString(), headers={"Campus-Origin": "school-a",
                                                                     "Campus-Origin-Seq": "7"})
        # Same origin sequence, different content: the first is kept.
        other = Event()
        other.CopyFrom(good)
        other.type = "video.tamper"
        await js.publish(subject, other.SerializeToString(), headers={"Campus-Origin": "school-a",
                                                                      "Campus-Origin-Seq": "7"})
        await eventually(lambda: county.journal.head >= 1 and _refused(county, "conflicting_duplicate") == 1)
        events = await journaled(county)
        assert [(e.origin_hub_id, e.origin_sequence, e.type) for e in events] == [("school-a", 7, "video.motion")]
        assert _refused(county, "undecodable") == 1
        assert _refused(county, "unknown_origin") == 1
        assert _refused(county, "bad_headers") == 1


async def test_a_subject_outside_the_region_is_refused(tmp_path, nats_server, nats_client):
    # A city-wide consumer (1408) and a message under another county of that city is fine; one
    # whose event claims a region outside its subject is not.
    settings = hub_settings(tmp_path, "city-1408", [nats_server.url], publish=False,
                            ingest=IngestOptions(region_prefix="1408", origins=["school-a"]))
    event = camera_event("sch-x", 0)
    event.sequence = 3
    async with running(settings) as city:
        await eventually(lambda: len(city.uplink("nats").ingesters) == 2)
        js = nats_client.jetstream()
        await js.publish("campus.event.14.09.02.sch-x.video", event.SerializeToString(),
                         headers={"Campus-Origin": "school-a", "Campus-Origin-Seq": "3"})
        await js.publish("campus.event.14.08.21.sch-x.video", event.SerializeToString(),
                         headers={"Campus-Origin": "school-a", "Campus-Origin-Seq": "3"})
        await eventually(lambda: city.journal.head == 1)
        await asyncio.sleep(0.3)
        assert city.journal.head == 1  # (14.09 is not consumed at all: the filter is the region)


async def test_provisioned_streams_that_differ_are_named_in_the_error(nats_server, nats_client):
    js = nats_client.jetstream()
    await ensure_streams(js, "campus", StreamOptions(duplicate_window=60))
    with pytest.raises(StreamMismatch) as refused:
        await ensure_streams(js, "campus", StreamOptions(manage=False, duplicate_window=3600))
    assert "CAMPUS_ALARMS" in str(refused.value) and "duplicate_window 60 s (expected 3600 s)" in str(refused.value)
    with pytest.raises(StreamMismatch, match="NOPE does not exist"):
        await ensure_streams(js, "campus", StreamOptions(manage=False, alarm_stream="NOPE"))
    # Allowed to manage: updated to match, then it checks clean.
    done = await ensure_streams(js, "campus", StreamOptions(duplicate_window=3600))
    assert done == ["updated stream CAMPUS_ALARMS: duplicate_window 60 s (expected 3600 s)",
                    "updated stream CAMPUS_EVENTS: duplicate_window 60 s (expected 3600 s)"]
    assert await ensure_streams(js, "campus", StreamOptions(manage=False, duplicate_window=3600)) == []


async def test_a_server_that_accepts_tcp_and_never_answers_leaves_the_events_in_the_journal(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"nats://127.0.0.1:{silent.getsockname()[1]}"
        async with running(hub_settings(tmp_path, "school-a", [url], school="sch-a")) as school:
            for n in range(5):
                await school.submit(camera_event("sch-a", n), "synth")
            await eventually(lambda: school.metrics.adapter_restarts.labels("uplink:nats")._value.get() >= 1)
            assert school.uplink("nats") is None or school.uplink("nats").status()["backlog"] == 5
    finally:
        silent.close()


@given(st.text(max_size=40))
def test_school_tokens_round_trip_and_stay_one_token(school):
    token = encode_token(school)
    assert decode_token(token) == school
    assert token and not any(ch in token for ch in ".*> \t\r\n")
    subject = event_subject("campus", "140802", school, 2)
    assert region_of_subject("campus", subject) == ("alarm", "140802", school)
