"""A hub with linkage rules and an ONVIF adapter watching simulated cameras, and readers of what
it journaled."""
from __future__ import annotations

import asyncio
import contextlib

from adapters.onvif.adapter import OnvifAdapter
from adapters.onvif.options import CameraOptions, OnvifOptions
from hub.config.linkage import LinkageConfig
from hub.events import Category, Severity, Site, State, new_event
from hub.journal import JournalCursor
from hub.kernel import AdapterInstance, Hub, HubSettings
from hub.kernel._registry import DeviceState
from hub.linkage import LINKAGE_CATEGORY
from hub.spi import DeviceSpec
from tests.onvif.helpers import FAST

SCHOOL = Site(region_code="140802", school_id="sch-1")


def camera_device(running, device_id: str | None = None, **site) -> DeviceSpec:
    return DeviceSpec(id=device_id or running.name, kind="camera", adapter="onvif",
                      site=Site(region_code="140802", school_id="sch-1", **site),
                      options=CameraOptions(host=running.host, port=running.http_port, password="admin", events=False))


def other_device(device_id: str, kind: str, **site) -> DeviceSpec:
    return DeviceSpec(id=device_id, kind=kind, adapter="none", site=Site(region_code="140802", school_id="sch-1", **site))


def linkage(section: dict) -> LinkageConfig:
    return LinkageConfig.model_validate(section)


@contextlib.asynccontextmanager
async def linkage_hub(tmp_path, devices, section: dict, **overrides):
    config = linkage(section)
    values = dict(
        journal_path=str(tmp_path / "journal.db"), devices=devices, grpc_address="127.0.0.1:0", metrics_address=None,
        dedupe_window=0.0, adapters=[AdapterInstance("onvif", OnvifAdapter, OnvifOptions(**FAST))],
        linkage_rules=config.engine_rules(), coverage=config.engine_coverage())
    settings = HubSettings(**{**values, **overrides})
    hub = Hub(settings)
    await hub.start()
    try:
        for device in devices:
            if device.adapter == "onvif":
                await until(lambda d=device: hub.registry.get(d.id).state == DeviceState.DEVICE_STATE_ONLINE,
                            f"{device.id} online")
        yield hub
    finally:
        await hub.stop()


async def until(predicate, what: str, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def journaled(hub, category: int | None = None) -> list:
    entries = await JournalCursor.at(hub.journal, 0).read(100_000)
    return [entry.event() for entry in entries if category is None or entry.category == category]


async def linkage_events(hub, predicate, what: str, timeout: float = 10.0) -> list:
    """The LINKAGE events once ``predicate(events)`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await journaled(hub, LINKAGE_CATEGORY)
        if predicate(events):
            return events
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; linkage journaled: "
                                 + "; ".join(f"{e.type} {dict(e.attributes)}" for e in events))
        await asyncio.sleep(0.05)


def phases(events, action: str | None = None) -> list[tuple[str, str, str]]:
    """(phase, action, target) of each linkage event."""
    return [(e.type.rsplit(".", 1)[1], e.attributes["action"], e.attributes.get("target", ""))
            for e in events if action is None or e.attributes["action"] == action]


def panic(device: str = "pb-1", state: int = State.STATE_MOMENTARY):
    return new_event(device_id=device, type="panic.alarm", category=Category.CATEGORY_PANIC,
                     severity=Severity.SEVERITY_CRITICAL, state=state)
