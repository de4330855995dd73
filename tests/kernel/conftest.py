from __future__ import annotations

import contextlib

import pytest

from hub.kernel import Hub, HubSettings
from hub.access import Subscriber
from hub.access import hash_token
from hub.events import Site
from hub.access import Scope
from hub.spi import DeviceSpec

POLICE_TOKEN = "police-secret-token"
EDU_TOKEN = "education-secret-token"
ALL_TOKEN = "ops-secret-token"


def site(region: str, school: str, **kw) -> Site:
    return Site(region_code=region, school_id=school, **kw)


DEVICES = [
    DeviceSpec(id="fp-1", kind="fire_panel", adapter="synth", site=site("140802", "sch-a", building="A")),
    DeviceSpec(id="cam-1", kind="camera", adapter="synth", site=site("140802", "sch-a", building="B")),
    DeviceSpec(id="pb-1", kind="panic_button", adapter="synth", site=site("140802", "sch-b", zone="gate")),
    DeviceSpec(id="ups-9", kind="ups", adapter="synth", site=site("140821", "sch-c")),
    DeviceSpec(id="far-1", kind="camera", adapter="synth", site=site("110101", "sch-bj")),
]

SUBSCRIBERS = [
    Subscriber("police-yanhu", hash_token(POLICE_TOKEN), Scope(region_prefixes=("140802",)), "operator"),
    Subscriber("edu-yuncheng", hash_token(EDU_TOKEN), Scope(region_prefixes=("1408",), categories=frozenset({1, 3, 7}))),
    Subscriber("ops", hash_token(ALL_TOKEN), Scope(all_regions=True), "supervisor"),
]


def settings(tmp_path, **overrides) -> HubSettings:
    values = dict(journal_path=str(tmp_path / "journal.db"), devices=DEVICES, subscribers=SUBSCRIBERS,
                  grpc_address="127.0.0.1:0", metrics_address="127.0.0.1:0", dedupe_window=0.0,
                  adapter_initial_backoff=0.05, adapter_max_backoff=0.4)
    values.update(overrides)
    return HubSettings(**values)


@contextlib.asynccontextmanager
async def running_hub(hub_settings: HubSettings):
    """A started Hub, stopped on the way out."""
    instance = Hub(hub_settings)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


@pytest.fixture
async def hub(tmp_path):
    async with running_hub(settings(tmp_path)) as instance:
        yield instance
