"""The hub as a service tree: ordered children, adapter supervision on an injectable clock, hub
identity, reflection, and streams that keep their heartbeats however busy the hub is."""
from __future__ import annotations

import asyncio
import socket

import grpc
import pydantic
import pytest
from structlog.testing import capture_logs
from twisted.internet import task

from campushub.v1 import event_hub_service_pb2 as pb
from campushub.v1 import event_hub_service_pb2_grpc as pb_grpc
from hub.api.grpc.client import HubClient, make_filter
from hub.events import Category, Severity, new_event
from hub.kernel import AdapterInstance, Hub
from hub.spi import Adapter, Backoff
from hub.spi.testing import eventually

from .conftest import ALL_TOKEN, EDU_TOKEN, POLICE_TOKEN, settings


def test_children_are_in_start_order(tmp_path):
    hub = Hub(settings(tmp_path, adapters=[AdapterInstance("steady", SteadyAdapter, None)]))
    assert [child.name for child in hub] == ["journal", "pipeline", "alarms", "linkage", "adapter:steady", "grpc", "http",
                                            "retention"]


class CrashingOptions(pydantic.BaseModel):
    pass


class CrashingAdapter(Adapter):
    Options = CrashingOptions
    starts = 0

    async def run(self) -> None:
        CrashingAdapter.starts += 1
        raise RuntimeError("adapter bug")


class SteadyAdapter(Adapter):
    async def run(self) -> None:
        while True:
            await self.ctx.emit(new_event(device_id="cam-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                                          severity=Severity.SEVERITY_INFO))
            await asyncio.sleep(0.02)


async def test_a_crashing_adapter_restarts_after_each_backoff_on_the_clock_while_others_run(tmp_path):
    CrashingAdapter.starts = 0
    clock = task.Clock()
    hub = Hub(settings(tmp_path, clock=clock, adapters=[
        AdapterInstance("crashy", CrashingAdapter, CrashingOptions()),
        AdapterInstance("steady", SteadyAdapter, None),
    ]))
    await hub.start()
    try:
        await eventually(lambda: CrashingAdapter.starts == 1)
        for starts, delay in enumerate((0.05, 0.1, 0.2, 0.4, 0.4), start=1):
            clock.advance(delay * 0.99)
            await asyncio.sleep(0.05)
            assert CrashingAdapter.starts == starts, f"restarted before its {delay} s backoff ended"
            clock.advance(delay * 0.01)
            await eventually(lambda: CrashingAdapter.starts == starts + 1)
        assert hub.metrics.adapter_restarts.labels("crashy")._value.get() == 6
        motion = [e for e in await hub.journal.read_after(0, 10_000) if e.type == "video.motion"]
        assert len(motion) > 5  # the steady adapter was never interrupted
    finally:
        await hub.stop()


def test_backoff_starts_over_after_a_stable_run():
    clock = task.Clock()
    backoff = Backoff(1, 8, stable_after=60, clock=clock)
    backoff.started()
    assert [backoff.failed() for _ in range(5)] == [1, 2, 4, 8, 8]
    backoff.started()
    clock.advance(61)
    assert backoff.failed() == 1
    with pytest.raises(ValueError):
        Backoff(0, 1)


async def test_get_hub_info_names_the_hub_and_the_coverage_in_the_callers_scope(tmp_path):
    hub = Hub(settings(tmp_path, hub_id="yanhu-county"))
    await hub.start()
    try:
        await hub.submit(new_event(device_id="fp-1", type="system.test", category=Category.CATEGORY_SYSTEM,
                                   severity=Severity.SEVERITY_INFO), "test")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{hub.grpc_port}") as channel:
            stub = pb_grpc.EventHubServiceStub(channel)
            police = await stub.GetHubInfo(pb.GetHubInfoRequest(),
                                           metadata=(("authorization", f"Bearer {POLICE_TOKEN}"),))
            ops = await stub.GetHubInfo(pb.GetHubInfoRequest(), metadata=(("authorization", f"Bearer {ALL_TOKEN}"),))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetHubInfo(pb.GetHubInfoRequest())
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await hub.stop()
    assert police.hub_id == "yanhu-county" and police.version
    assert list(police.region_codes) == ["140802"] and list(police.school_ids) == ["sch-a", "sch-b"]
    assert list(ops.region_codes) == ["110101", "140802", "140821"]
    assert (police.head_sequence, police.earliest_sequence) == (1, 1)


@pytest.mark.parametrize("service", ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"])
async def test_reflection_is_served_as_v1_and_v1alpha(hub, service):
    from grpc_reflection.v1alpha import reflection_pb2
    async with grpc.aio.insecure_channel(f"127.0.0.1:{hub.grpc_port}") as channel:
        call = channel.stream_stream(f"/{service}/ServerReflectionInfo",
                                     request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                     response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                    reflection_pb2.ServerReflectionRequest(file_containing_symbol="campushub.v1.EventHubService")]
        replies = [reply async for reply in call(iter(requests))]
    names = {s.name for s in replies[0].list_services_response.service}
    assert {"campushub.v1.EventHubService", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection", "grpc.health.v1.Health"} <= names
    assert replies[1].file_descriptor_response.file_descriptor_proto


async def test_heartbeats_arrive_on_time_while_the_hub_is_busy_outside_the_stream(hub):
    """A county-scoped stream gets its heartbeats, and its resume point moves, while every event
    the hub journals belongs to another province."""
    stop = asyncio.Event()

    async def elsewhere():
        while not stop.is_set():
            for _ in range(20):
                hub.submit(new_event(device_id="far-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                                     severity=Severity.SEVERITY_INFO), "test")
            await asyncio.sleep(0.01)

    busy = asyncio.ensure_future(elsewhere())
    heartbeats = []
    try:
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", POLICE_TOKEN) as client:
            call = client.subscribe(make_filter(regions=["140802"]), heartbeat_interval_ms=1000)

            async def read():
                async for response in call:
                    assert not response.batch.events
                    heartbeats.append(response.batch.last_sequence)
                    if len(heartbeats) == 3:
                        return
            await asyncio.wait_for(read(), 6.0)
            call.cancel()
    finally:
        stop.set()
        await busy
    assert heartbeats == sorted(heartbeats) and heartbeats[-1] > heartbeats[0] > 0


async def test_an_oversized_bad_value_is_invalid_argument_with_a_short_echo(hub):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for _ in client.subscribe(make_filter(regions=["1" * 100_000])):
                pass
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "(100000 characters)" in err.value.details() and len(err.value.details()) < 300


async def test_the_lag_metric_names_the_subscriber_and_a_stream_number(hub):
    async with HubClient(f"127.0.0.1:{hub.grpc_port}", EDU_TOKEN) as client:
        call = client.subscribe(from_earliest=True, heartbeat_interval_ms=1000)
        await hub.submit(new_event(device_id="fp-1", type="fire.alarm", category=Category.CATEGORY_FIRE,
                                   severity=Severity.SEVERITY_CRITICAL), "test")
        async for response in call:
            if response.batch.events:
                break
        samples = {tuple(sorted(s.labels.items())) for metric in hub.metrics.subscriber_lag.collect()
                   for s in metric.samples}
        call.cancel()
    assert (("stream", "1"), ("subscriber", "edu-yuncheng")) in samples


def hub_stopped_lines(logs) -> list[dict]:
    return [entry for entry in logs if entry["event"] == "hub stopped"]


async def test_stop_is_idempotent_a_second_or_concurrent_stop_does_nothing_more(tmp_path):
    hub = Hub(settings(tmp_path))
    await hub.start()
    with capture_logs() as logs:
        await asyncio.gather(hub.stop(), hub.stop())
        await hub.stop()
    assert len(hub_stopped_lines(logs)) == 1
    assert not hub.running


async def test_a_hub_that_failed_to_start_and_is_stopped_again_logs_one_stop(tmp_path):
    """campus-hub demo: Hub.start() stops what it started when a listener cannot bind, and the
    demo's own cleanup stops it again; that second stop must not log (or do) anything."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        hub = Hub(settings(tmp_path, grpc_address=f"127.0.0.1:{port}"))
        with capture_logs() as logs:
            with pytest.raises(OSError):
                await hub.start()
            await hub.stop()
    assert len(hub_stopped_lines(logs)) == 1


async def test_stopping_a_hub_that_never_started_does_nothing(tmp_path):
    hub = Hub(settings(tmp_path))
    with capture_logs() as logs:
        await hub.stop()
    assert hub_stopped_lines(logs) == []
