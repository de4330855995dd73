"""A real nats-server with JetStream on loopback (temp store, free port), and hubs linked to it."""
from __future__ import annotations

import asyncio
import contextlib
import sys

import nats
import pytest

from hub.access import Scope, Subscriber, hash_token
from hub.events import Category, Severity, Site, new_event
from hub.kernel import Hub, HubSettings, UplinkInstance
from hub.spi import DeviceSpec
from uplinks.nats import IngestOptions, NatsOptions
from uplinks.nats.servers import NatsServer
from uplinks.nats.uplink import NatsUplink

COUNTY_TOKEN = "county-token"


def devices(school: str, region: str = "140802") -> list[DeviceSpec]:
    site = Site(region_code=region, school_id=school)
    return [DeviceSpec(id=f"{school}-fp", kind="fire_panel", adapter="synth", site=site),
            DeviceSpec(id=f"{school}-cam", kind="camera", adapter="synth", site=site)]


def hub_settings(tmp_path, hub_id: str, servers, *, school: str | None = None, ingest: IngestOptions | None = None,
                 publish: bool = True, **options) -> HubSettings:
    uplink = NatsOptions(servers=servers, publish=publish, ingest=ingest, ack_timeout=2.0, connect_timeout=1.0,
                         **options)
    return HubSettings(
        journal_path=str(tmp_path / f"{hub_id}.db"), hub_id=hub_id, devices=devices(school) if school else (),
        subscribers=[Subscriber("county-desk", hash_token(COUNTY_TOKEN), Scope(all_regions=True), "operator")],
        uplinks=[UplinkInstance("nats", NatsUplink, uplink)], grpc_address="127.0.0.1:0", metrics_address=None,
        dedupe_window=0.0, adapter_initial_backoff=0.05, adapter_max_backoff=0.5, alarm_tick_interval=None)


@contextlib.asynccontextmanager
async def running(settings: HubSettings):
    hub = Hub(settings)
    await hub.start()
    try:
        yield hub
    finally:
        await stop_or_show_why(hub)


async def stop_or_show_why(hub: Hub, patience: float = 30.0) -> None:
    """Stop the hub; if it does not stop, print every task's stack (what it waits on) and fail,
    rather than leave the test to its timeout with nothing to go on."""
    stopping = asyncio.ensure_future(hub.stop())
    done, _ = await asyncio.wait([stopping], timeout=patience)
    if not done:
        for task in asyncio.all_tasks():
            print(f"--- {task.get_name()}: {task.get_coro()!r}", file=sys.stderr)
            task.print_stack(limit=20, file=sys.stderr)
        raise AssertionError(f"hub {hub.settings.hub_id} did not stop within {patience:g} s; its tasks are above")
    stopping.result()


def camera_event(school: str, n: int):
    return new_event(device_id=f"{school}-cam", type="video.motion", category=Category.CATEGORY_VIDEO,
                     severity=Severity.SEVERITY_INFO, attributes={"n": n})


def fire_event(school: str, n: int):
    return new_event(device_id=f"{school}-fp", type="fire.alarm", category=Category.CATEGORY_FIRE,
                     severity=Severity.SEVERITY_CRITICAL, attributes={"n": n})


async def eventually(condition, timeout: float = 20.0, interval: float = 0.05):
    """Wait until ``condition()`` is true (a test's patience, not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


@pytest.fixture
def nats_server(tmp_path):
    with NatsServer(tmp_path / "nats", "n1") as server:
        yield server


@pytest.fixture
async def nats_client(nats_server):
    client = await nats.connect(nats_server.url)
    try:
        yield client
    finally:
        await client.close()
