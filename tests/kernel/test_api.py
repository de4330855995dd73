"""The gRPC API over loopback: subscribe, scopes, auth, resume, devices."""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from hub.api.grpc.client import HubClient, make_filter
from hub.events import Category, Severity, State, new_event

from tests.subscribing import collect

from .conftest import ALL_TOKEN, EDU_TOKEN, POLICE_TOKEN


def fire(device="fp-1", state=State.STATE_RAISED, n=0):
    return new_event(device_id=device, type="fire.alarm", category=Category.CATEGORY_FIRE,
                     severity=Severity.SEVERITY_CRITICAL, state=state, attributes={"n": n},
                     raw_protocol="test", raw_data=b"\x01\x02")


async def test_subscriber_receives_journaled_events_with_site_and_raw(hub):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
        call = client.subscribe(from_earliest=True)
        seqs = [await hub.submit(fire(n=i), "test") for i in range(3)]
        events = await collect(call, 3)
    assert [e.sequence for e in events] == seqs == [1, 2, 3]
    first = events[0]
    assert first.site.region_code == "140802" and first.site.school_id == "sch-a" and first.site.building == "A"
    assert first.raw.protocol == "test" and first.raw.data == b"\x01\x02"
    assert first.id and first.received_at.seconds > 0 and first.adapter == "test"


async def test_scope_limits_what_a_subscriber_sees(hub):
    for device in ("fp-1", "far-1", "ups-9", "pb-1"):
        await hub.submit(fire(device), "test")
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", POLICE_TOKEN) as police:
        got = await collect(police.subscribe(from_earliest=True), 2)
    assert [e.source_device_id for e in got] == ["fp-1", "pb-1"]


async def test_wrong_or_missing_token_is_unauthenticated(hub):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", "not-a-token") as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await collect(client.subscribe(), 1)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.list_devices()
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("event_filter", [
    make_filter(regions=["14"]),               # wider than the county scope
    make_filter(regions=["110101"]),           # another province
    make_filter(schools=["sch-bj"]),           # a school outside the scope
])
async def test_filter_outside_scope_is_permission_denied(hub, event_filter):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", POLICE_TOKEN) as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await collect(client.subscribe(event_filter), 1)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "outside your scope" in err.value.details()


async def test_category_outside_scope_is_permission_denied(hub):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", EDU_TOKEN) as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await collect(client.subscribe(make_filter(categories=[Category.CATEGORY_VIDEO])), 1)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("kwargs, message", [
    (dict(event_filter=make_filter(regions=["1"])), "GB/T 2260"),
    (dict(event_filter=make_filter(types=["Fire Alarm"])), "dotted type prefix"),
    (dict(max_batch_size=10**6), "max_batch_size"),
    (dict(max_batch_delay_ms=10**7), "max_batch_delay_ms"),
    (dict(heartbeat_interval_ms=5), "heartbeat_interval_ms"),
    (dict(after=10**12), "ahead of this hub's newest sequence"),
])
async def test_absurd_requests_are_invalid_argument(hub, kwargs, message):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await collect(client.subscribe(**kwargs), 1)
    assert err.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE)
    assert message in err.value.details()


async def test_filters_narrow_by_category_severity_type_and_school(hub):
    await hub.submit(fire("fp-1"), "test")
    await hub.submit(new_event(device_id="cam-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                               severity=Severity.SEVERITY_INFO), "test")
    await hub.submit(new_event(device_id="pb-1", type="panic.alarm", category=Category.CATEGORY_PANIC,
                               severity=Severity.SEVERITY_CRITICAL, state=State.STATE_RAISED), "test")
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
        panic = await collect(client.subscribe(make_filter(types=["panic."]), from_earliest=True), 1)
        severe = await collect(client.subscribe(make_filter(min_severity=Severity.SEVERITY_CRITICAL),
                                                from_earliest=True), 2)
        school_b = await collect(client.subscribe(make_filter(schools=["sch-b"]), from_earliest=True), 1)
    assert [e.type for e in panic] == ["panic.alarm"]
    assert [e.source_device_id for e in severe] == ["fp-1", "pb-1"]
    assert [e.source_device_id for e in school_b] == ["pb-1"]


async def test_resume_after_disconnect_is_exactly_once_in_order(hub):
    target = f"127.0.0.1:{hub.grpc_port}"
    for i in range(50):
        hub.submit(fire(n=i, state=State.STATE_RAISED if i % 2 else State.STATE_CLEARED), "test")
    async with HubClient(target, ALL_TOKEN) as client:
        first = await collect(client.subscribe(from_earliest=True, max_batch_size=7), 20)
    last = first[19].sequence
    futures = [hub.submit(fire(n=100 + i), "test") for i in range(30)]  # arrive while disconnected
    await asyncio.gather(*futures)
    async with HubClient(target, ALL_TOKEN) as client:
        rest = await collect(client.subscribe(after=last), 60)
    seen = [e.sequence for e in first[:20]] + [e.sequence for e in rest]
    assert seen == list(range(1, 81))


async def test_list_and_get_devices_respect_scope(hub):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", POLICE_TOKEN) as client:
        ids = sorted(d.id for d in await client.list_devices())
        assert ids == ["cam-1", "fp-1", "pb-1"]
        device = await client.get_device("fp-1")
        assert device.kind == "fire_panel" and device.site.school_id == "sch-a"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.get_device("far-1")
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_resuming_behind_retention_is_out_of_range_with_the_earliest_sequence(hub):
    for i in range(20):
        await hub.submit(fire(n=i), "test")
    hub.journal.max_age = 1e-9
    hub.journal.tail = type(hub.journal.tail)(0)  # the in-memory tail would still serve them
    await hub.journal.apply_retention(now=time.time() + 60)
    await hub.submit(fire(n=99), "test")
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await collect(client.subscribe(after=5), 1)
        assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE
        assert "earliest retained sequence is 21" in err.value.details()
        [event] = await collect(client.subscribe(from_earliest=True), 1)
        assert event.sequence == 21


async def test_health_service_reports_serving(hub):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    async with grpc.aio.insecure_channel(f"127.0.0.1:{hub.grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = await stub.Check(health_pb2.HealthCheckRequest(service="campushub.v1.EventHubService"))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
