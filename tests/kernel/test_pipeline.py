"""Pipeline behaviour through a real hub: enrichment, unknown devices, dedupe, device states,
adapter supervision, slow subscribers, metrics."""
from __future__ import annotations

import asyncio
import urllib.request

import pydantic

from hub.kernel import AdapterInstance, Hub
from hub.api.grpc.client import HubClient
from hub.events import Category, DeviceState, Severity, State, new_event
from hub.spi import Adapter

from .conftest import ALL_TOKEN, settings
from .test_api import collect, fire


async def test_unknown_device_is_kept_flagged_and_counted(hub):
    seq = await hub.submit(fire("ghost-7"), "test")
    [entry] = await hub.journal.read_after(seq - 1, 1)
    event = entry.event()
    assert event.unknown_device and event.source_device_id == "ghost-7" and not event.site.region_code
    assert hub.metrics.unknown_device_events.labels("test")._value.get() == 1


async def test_dedupe_folds_repeats_into_a_count(tmp_path):
    hub = Hub(settings(tmp_path, dedupe_window=0.3))
    await hub.start()
    try:
        first = await hub.submit(fire(n=0), "test")
        repeats = [await hub.submit(fire(n=0), "test") for i in range(1, 6)]
        assert repeats == [first] * 5  # folded: acknowledged as the event they repeat
        cleared = await hub.submit(fire(state=State.STATE_CLEARED), "test")  # a change flushes the count
        entries = await hub.journal.read_after(0, 10)
        events = [e.event() for e in entries]
        assert [(e.state, e.repeat_count) for e in events] == [
            (State.STATE_RAISED, 0), (State.STATE_RAISED, 5), (State.STATE_CLEARED, 0)]
        assert cleared == 3
        # The same type and state with other content (another zone) is news, never folded.
        other_zone = await hub.submit(fire(state=State.STATE_CLEARED, n=7), "test")
        assert other_zone == 4
        # Its repeats are summarised when the window closes by itself.
        assert await hub.submit(fire(state=State.STATE_CLEARED, n=7), "test") == 4
        await asyncio.sleep(0.6)
        last = (await hub.journal.read_after(4, 10))[0].event()
        assert last.state == State.STATE_CLEARED and last.repeat_count == 1 and last.attributes["n"] == "7"
    finally:
        await hub.stop()


class CrashingOptions(pydantic.BaseModel):
    crash_after: float = 0.01


class CrashingAdapter(Adapter):
    """Emits one event then raises, every time it is (re)started."""

    Options = CrashingOptions
    starts = 0

    async def run(self) -> None:
        CrashingAdapter.starts += 1
        await self.ctx.emit(new_event(device_id="fp-1", type="system.test", category=Category.CATEGORY_SYSTEM,
                                      severity=Severity.SEVERITY_INFO, attributes={"start": CrashingAdapter.starts}))
        await asyncio.sleep(self.options.crash_after)
        raise RuntimeError("adapter bug")


class SteadyAdapter(Adapter):
    async def run(self) -> None:
        self.ctx.device_online("cam-1")
        while True:
            await self.ctx.emit(new_event(device_id="cam-1", type="video.motion", category=Category.CATEGORY_VIDEO,
                                          severity=Severity.SEVERITY_INFO))
            await asyncio.sleep(0.02)


async def test_crashing_adapter_restarts_with_backoff_while_others_run(tmp_path):
    CrashingAdapter.starts = 0
    hub = Hub(settings(tmp_path, adapters=[
        AdapterInstance("crashy", CrashingAdapter, CrashingOptions()),
        AdapterInstance("steady", SteadyAdapter, None),
    ]))
    await hub.start()
    try:
        await asyncio.sleep(1.0)
        restarts = hub.metrics.adapter_restarts.labels("crashy")._value.get()
        # backoff 0.05, 0.1, 0.2, 0.4, 0.4...: a handful of restarts in a second, not hundreds
        assert 3 <= restarts <= 8
        assert CrashingAdapter.starts == restarts or CrashingAdapter.starts == restarts + 1
        motion = [e for e in await hub.journal.read_after(0, 10_000) if e.type == "video.motion"]
        assert len(motion) > 20  # the steady adapter was never interrupted
    finally:
        await hub.stop()


async def test_recent_events_are_the_adapters_own_within_the_window(hub):
    from hub.kernel import HubAdapterContext
    own_devices = [hub.registry.get("fp-1").spec, hub.registry.get("cam-1").spec]
    ctx = HubAdapterContext("synth", own_devices, hub.pipeline.submit, hub.device_states,
                            hub.metrics.for_adapter("synth"), hub.blocking_pool, hub.journal)
    await hub.submit(fire("fp-1"), "synth")
    await hub.submit(fire("cam-1"), "other-adapter")  # the device's events from another adapter
    await hub.submit(fire("pb-1"), "synth")  # a device configured for another instance
    await ctx.emit(fire("cam-1"))
    recent = await ctx.recent_events(60)
    assert [(e.source_device_id, e.adapter) for e in recent] == [("fp-1", "synth"), ("cam-1", "synth")]
    await asyncio.sleep(0.3)
    assert await ctx.recent_events(0.2) == []


async def test_device_state_transitions_become_events(hub):
    from hub.kernel import HubAdapterContext
    ctx = HubAdapterContext("synth", [], hub.pipeline.submit, hub.device_states,
                            hub.metrics.for_adapter("synth"), hub.blocking_pool, hub.journal)
    ctx.device_offline("fp-1", "timeout after 3 polls")
    ctx.device_offline("fp-1", "timeout after 3 polls")  # no transition, no event
    ctx.device_seen("fp-1")
    await asyncio.sleep(0.05)
    events = [e.event() for e in await hub.journal.read_after(0, 10)]
    assert [(e.type, e.state, e.category) for e in events] == [
        ("device.offline", State.STATE_RAISED, Category.CATEGORY_DEVICE),
        ("device.online", State.STATE_CLEARED, Category.CATEGORY_DEVICE)]
    assert events[0].attributes["reason"] == "timeout after 3 polls"
    assert hub.registry.get("fp-1").state == DeviceState.DEVICE_STATE_ONLINE


async def test_a_subscriber_that_never_reads_stalls_nobody(hub):
    target = f"127.0.0.1:{hub.grpc_port}"
    async with HubClient(target, ALL_TOKEN) as stalled, HubClient(target, ALL_TOKEN) as live:
        await hub.submit(fire(n=-1), "test")
        stalled_call = stalled.subscribe(from_earliest=True, max_batch_size=1)
        await asyncio.wait_for(stalled_call.initial_metadata(), 5)  # its stream is open and has data
        live_call = live.subscribe(from_earliest=True)
        n = 20_000
        for i in range(n - 1):
            hub.submit(fire(n=i), "test")
        got = await collect(live_call, n, timeout=30)
        assert len(got) == n and hub.journal.head == n
        assert got[-1].sequence == n
        stalled_call.cancel()


async def test_metrics_are_served_over_http(hub):
    await hub.submit(fire(), "test")
    url = f"http://127.0.0.1:{hub.metrics_port}/metrics"
    body = await asyncio.get_running_loop().run_in_executor(None, lambda: urllib.request.urlopen(url).read())
    text = body.decode()
    assert 'campushub_events_in_total{adapter="test",category="fire"} 1.0' in text
    assert "campushub_journal_append_seconds_bucket" in text
    assert 'campushub_devices{state="unknown"} 5.0' in text


class InventoryAdapter(Adapter):
    """Keeps a fixed terminal inventory, as an SNMP adapter would after reading forwarding tables."""

    def terminals(self, switch=None):
        import types
        rows = [types.SimpleNamespace(mac="00:1a:2b:3c:4d:5e", switch="sw-1", port=7, fdb_id=10,
                                      first_seen=1_700_000_000.0, last_seen=1_700_000_060.0),
                types.SimpleNamespace(mac="00:1a:2b:3c:4d:99", switch="sw-far", port=1, fdb_id=None,
                                      first_seen=1_700_000_000.0, last_seen=1_700_000_000.0)]
        return [r for r in rows if switch in (None, r.switch)]

    async def run(self) -> None:
        await asyncio.Future()


async def test_terminal_inventory_is_served_within_scope(tmp_path):
    from hub.events import Site
    from hub.spi import DeviceSpec
    from .conftest import DEVICES, POLICE_TOKEN
    switches = [DeviceSpec(id="sw-1", kind="switch", adapter="inv", site=Site(region_code="140802", school_id="sch-a")),
                DeviceSpec(id="sw-far", kind="switch", adapter="inv", site=Site(region_code="110101", school_id="sch-bj"))]
    hub = Hub(settings(tmp_path, devices=DEVICES + switches,
                       adapters=[AdapterInstance("inv", InventoryAdapter, None)]))
    await hub.start()
    try:
        await asyncio.sleep(0.05)
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", POLICE_TOKEN) as client:
            [terminal] = await client.list_terminals()
        assert (terminal.mac, terminal.switch_device_id, terminal.if_index, terminal.fdb_id) == (
            "00:1a:2b:3c:4d:5e", "sw-1", 7, 10)
        assert terminal.site.school_id == "sch-a" and terminal.last_seen.seconds == 1_700_000_060
    finally:
        await hub.stop()


async def test_a_correlated_offline_holds_until_the_correlating_adapter_releases_it(hub):
    from hub.kernel import HubAdapterContext

    def context(instance):
        return HubAdapterContext(instance, [], hub.pipeline.submit, hub.device_states,
                                 hub.metrics.for_adapter(instance), hub.blocking_pool, hub.journal)
    own, snmp = context("synth"), context("snmp")  # cam-1 belongs to "synth"
    own.device_online("cam-1")
    snmp.device_offline("cam-1", "upstream port down")
    own.device_seen("cam-1")  # a late answer from before the port went down
    assert hub.registry.get("cam-1").state == DeviceState.DEVICE_STATE_OFFLINE
    assert hub.registry.get("cam-1").reason == "upstream port down"
    snmp.device_online("cam-1", "upstream port up")
    assert hub.registry.get("cam-1").state == DeviceState.DEVICE_STATE_ONLINE
    own.device_offline("cam-1", "timeout")  # its own adapter still decides after the release
    own.device_seen("cam-1")
    assert hub.registry.get("cam-1").state == DeviceState.DEVICE_STATE_ONLINE
