"""End-to-end acceptance: `campus-hub simulate` and `campus-hub run` as separate processes, a gRPC
subscriber receiving every scripted event of the four protocol families in order and exactly once,
then a SIGKILLed and restarted hub, and the subscriber resuming with no gap and no duplicate."""
from __future__ import annotations

import asyncio
import signal
import socket

import pytest

from hub.api.grpc.client import HubClient
from campushub.v1.device_pb2 import DeviceState
from hub.events import Category, State
from tests.campus.processes import CliProcess

SCENARIO = """\
name: acceptance
timing: {modbus_poll: 0.3, snmp_poll: 1, onvif_pull_timeout: 1}
schools:
  - school_id: sch-140802-001
    region_code: "140802"
    name: Acceptance School
    fire_panels: [{id: fire-a, building: A, zone: control room}]
    cameras: [{id: "cam-{n}", count: 2, building: B}]
    switches: [{id: sw-core, building: A, zone: server room, ports: 24}]
    upses: [{id: ups-core, building: A, zone: server room}]
    panic_buttons: [{id: panic-gate, zone: gate, account: "1001"}]
    intrusion_panels: [{id: intrusion-b, building: B, account: "B200"}]
  - school_id: sch-140821-002
    region_code: "140821"
    name: Linyi Middle School
    panic_buttons: [{id: panic-linyi, zone: gate, account: "2001"}]
timeline:
  - {at: 0.3, device: fire-a, do: fire, zone: 3}
  - {at: 0.6, device: panic-gate, do: panic, zone: 1}
  - {at: 0.9, device: cam-2, do: tamper}
  - {at: 1.2, device: sw-core, do: port_down, port: 7}
  - {at: 1.5, device: ups-core, do: mains_off}
  - {at: 1.8, device: intrusion-b, do: burglary, zone: 12}
  - {at: 2.1, device: panic-linyi, do: panic, zone: 2}
  - {at: 2.4, device: fire-a, do: reset}
  - {at: 2.7, device: sw-core, do: port_up, port: 7}
  - {at: 3.0, device: cam-2, do: tamper, active: false}
  - {at: 3.3, device: ups-core, do: mains_on}
"""

RAISED, CLEARED = State.STATE_RAISED, State.STATE_CLEARED
# (device, type, state, category, school, region, protocol) in the order the timeline scripts them
SCRIPTED = [
    ("fire-a", "fire.alarm", RAISED, Category.CATEGORY_FIRE, "sch-140802-001", "140802", "modbus"),
    ("panic-gate", "panic.alarm", RAISED, Category.CATEGORY_PANIC, "sch-140802-001", "140802", "sia-dc09"),
    ("cam-2", "video.tamper", RAISED, Category.CATEGORY_VIDEO, "sch-140802-001", "140802", "onvif"),
    ("sw-core", "network.link_down", RAISED, Category.CATEGORY_NETWORK, "sch-140802-001", "140802", "snmp"),
    ("ups-core", "power.on_battery", RAISED, Category.CATEGORY_POWER, "sch-140802-001", "140802", "snmp"),
    ("intrusion-b", "intrusion.burglary", RAISED, Category.CATEGORY_INTRUSION, "sch-140802-001", "140802", "sia-dc09"),
    ("panic-linyi", "panic.alarm", RAISED, Category.CATEGORY_PANIC, "sch-140821-002", "140821", "sia-dc09"),
    ("fire-a", "fire.alarm", CLEARED, Category.CATEGORY_FIRE, "sch-140802-001", "140802", "modbus"),
    ("sw-core", "network.link_down", CLEARED, Category.CATEGORY_NETWORK, "sch-140802-001", "140802", "snmp"),
    ("cam-2", "video.tamper", CLEARED, Category.CATEGORY_VIDEO, "sch-140802-001", "140802", "onvif"),
    ("ups-core", "power.on_battery", CLEARED, Category.CATEGORY_POWER, "sch-140802-001", "140802", "snmp"),
]
KEYS = [s[:3] for s in SCRIPTED]
DEVICE_ADAPTERS = {"fire-a": "fire-modbus", "cam-1": "cameras-onvif", "cam-2": "cameras-onvif",
                   "sw-core": "network-snmp", "ups-core": "network-snmp", "panic-gate": "alarms-sia",
                   "intrusion-b": "alarms-sia", "panic-linyi": "alarms-sia"}
FIRST_HALF = KEYS[:4]


def key(event) -> tuple[str, str, int]:
    return event.source_device_id, event.type, event.state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_raw_payload(event) -> None:
    """The raw device traffic travels with the event, per protocol."""
    raw = event.raw
    if raw.protocol == "modbus":  # zone 3 of the generic map: holding register 102, bit 0
        assert raw.text.startswith("holding 102 = 0x000"), raw.text
    elif raw.protocol == "sia-dc09":  # the DC-09 frame as received (encrypted), and what it said
        assert raw.data.startswith(b"\n") and b'"*SIA-DCS"' in raw.data, raw.data
        account = "1001" if event.source_device_id == "panic-gate" else "B200" if event.source_device_id == "intrusion-b" else "2001"
        assert f"#{account}".encode() in raw.data
        code = {"panic.alarm": "PA", "intrusion.burglary": "BA"}[event.type]
        assert code in raw.text, raw.text
    elif raw.protocol == "onvif":  # the PullMessages notification
        assert b"TamperDetector" in raw.data and b"IsTamper" in raw.data, raw.data[:200]
    else:  # an SNMPv2c trap datagram: BER SEQUENCE, version 1 (v2c), community public
        assert raw.protocol == "snmp"
        assert raw.data[:1] == b"\x30" and b"\x02\x01\x01\x04\x06public" in raw.data, raw.data.hex()
        assert "trap" in raw.text


async def read_until(client: HubClient, needed: list, *, after: int | None = None, from_earliest: bool = False,
                     timeout: float) -> list:
    """Events from the hub until every key in ``needed`` was seen; stop right after the last one."""
    got = []
    missing = set(needed)

    async def read() -> None:
        async for event in client.events(after=after, from_earliest=from_earliest):
            got.append(event)
            missing.discard(key(event))
            if not missing:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        seen = "\n".join(f"  #{e.sequence} {e.source_device_id} {e.type} {e.state}" for e in got)
        raise AssertionError(f"not received within {timeout}s: {sorted(missing)}; received:\n{seen}") from None
    return got


def assert_contiguous(events, first: int) -> None:
    sequences = [e.sequence for e in events]
    assert sequences == list(range(first, first + len(sequences))), f"gap or duplicate: {sequences}"


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "acceptance.yaml").write_text(SCENARIO)
    return tmp_path


async def test_scripted_events_of_every_family_arrive_once_in_order_and_survive_a_hub_kill(workdir):
    grpc_target = f"127.0.0.1:{free_port()}"
    simulate = await CliProcess.start(
        "simulate", "simulate", "acceptance.yaml", "--write-config", "hub.yaml", "--grpc", grpc_target,
        "--metrics", "", "--wait", "45", cwd=workdir, stderr_file=workdir / "simulate.err")
    hub = None
    try:
        token = (await simulate.wait_for_line("subscriber token:", 30)).split()[-1]
        hub = await CliProcess.start("hub", "run", "-c", "hub.yaml", cwd=workdir, stderr_file=workdir / "hub.err")
        await simulate.wait_for_line("the hub reaches every device", 45)

        # The subscriber reads until the first half of the script has arrived, then disconnects.
        async with HubClient(grpc_target, token) as client:
            first = await read_until(client, FIRST_HALF, from_earliest=True, timeout=30)
            devices = {d.id: d for d in await client.list_devices()}
        # what `campus-hub devices` shows: every simulated device, where it is, what the adapter learned
        assert sorted(devices) == sorted(DEVICE_ADAPTERS)
        assert {d.id: d.adapter for d in devices.values()} == DEVICE_ADAPTERS
        assert devices["panic-linyi"].site.region_code == "140821" and devices["fire-a"].site.building == "A"
        for polled in ("fire-a", "cam-1", "cam-2", "sw-core", "ups-core"):
            assert devices[polled].state == DeviceState.DEVICE_STATE_ONLINE, devices[polled]
        assert devices["cam-1"].facts["model"] == "SimCam-1" and devices["fire-a"].facts["profile"] == "generic"
        last_seen = first[-1].sequence
        assert_contiguous(first, 1)

        # Meanwhile the rest of the script happens; another client sees the hub journal all of it.
        await simulate.wait_for_line("timeline done", 30)
        seen_first = {key(e) for e in first}
        rest_keys = [k for k in KEYS if k not in seen_first]
        async with HubClient(grpc_target, token) as observer:
            journaled = await read_until(observer, rest_keys, after=last_seen, timeout=30)

        # kill -9 and restart on the same config and journal
        hub.kill(signal.SIGKILL)
        assert await hub.process.wait() == -signal.SIGKILL
        hub = await CliProcess.start("hub", "run", "-c", "hub.yaml", cwd=workdir, stderr_file=workdir / "hub.err")

        # The subscriber resumes after the last sequence it saw: nothing lost, nothing twice.
        async with HubClient(grpc_target, token) as client:
            resumed = await _retry_until_up(lambda: read_until(client, rest_keys, after=last_seen, timeout=30))
        assert_contiguous(resumed, last_seen + 1)
        assert [(e.sequence, e.id) for e in resumed[:len(journaled)]] == [(e.sequence, e.id) for e in journaled]
    finally:
        if hub is not None:
            await hub.stop()
        await simulate.stop()

    everything = first + resumed
    scripted = [e for e in everything if key(e) in KEYS]
    assert sorted(key(e) for e in scripted) == sorted(KEYS), "each scripted event exactly once"
    for device in {k[0] for k in KEYS}:  # per device, in the order the timeline scripted them
        assert [key(e) for e in scripted if e.source_device_id == device] == [k for k in KEYS if k[0] == device]
    by_key = {key(e): e for e in scripted}
    for device, type_, state, category, school, region, protocol in SCRIPTED:
        event = by_key[(device, type_, state)]
        assert (event.category, event.site.school_id, event.site.region_code, event.raw.protocol) == (
            category, school, region, protocol), event
        assert not event.unknown_device
        check_raw_payload(event)
    assert by_key[("fire-a", "fire.alarm", RAISED)].site.building == "A"
    assert by_key[("fire-a", "fire.alarm", RAISED)].attributes["zone"] == "3"
    assert by_key[("sw-core", "network.link_down", RAISED)].attributes["port"] == "7"
    assert by_key[("intrusion-b", "intrusion.burglary", RAISED)].attributes["zone"] == "12"


async def _retry_until_up(read, attempts: int = 40):
    """The restarted hub takes a moment to listen: retry while the channel is unavailable."""
    import grpc

    for attempt in range(attempts):
        try:
            return await read()
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.25)
